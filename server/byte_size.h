// Sizes in bytes as people write them on a command line: "1073741824",
// "512MiB", "1GiB", "64KiB", "2G" (powers of 1024 either way, as memory
// limits are; Kubernetes' "Mi"/"Gi" spelled without the B are accepted too).
#ifndef SERVER_BYTE_SIZE_H_
#define SERVER_BYTE_SIZE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace actserver {

// INVALID_ARGUMENT, quoting the text: empty, not a number, a unit other than
// B, K/KB/KiB/Ki, M/MB/MiB/Mi, G/GB/GiB/Gi, T/TB/TiB/Ti (any case), a
// negative or fractional number of bytes, or more than 2^64 - 1.
absl::StatusOr<std::size_t> ParseByteSize(absl::string_view text);

// "1GiB", "512MiB", "1000B": the shortest exact form ParseByteSize reads back.
std::string FormatByteSize(std::size_t bytes);

// "64.0 MiB", "512 B": rounded to one decimal, for messages and logs.
std::string HumanBytes(std::size_t bytes);

}  // namespace actserver

#endif  // SERVER_BYTE_SIZE_H_
