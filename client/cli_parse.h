// Parsers for the command-line values actctl and actload share. Pure
// functions: main.cc reads the flags, these turn their text into typed
// values, and the messages name the bad text and the valid choices.
#ifndef CLIENT_CLI_PARSE_H_
#define CLIENT_CLI_PARSE_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "activation/v1/activation.pb.h"
#include "client/tensor_codec.h"

namespace activation::client {

// "forward" | "derivative" | "both" (= "forward_and_derivative") | "backward".
absl::StatusOr<v1::Mode> ParseMode(std::string_view text);
// The short name ParseMode accepts for `mode` ("both" for
// MODE_FORWARD_AND_DERIVATIVE).
std::string ModeFlagName(v1::Mode mode);
// "f32" | "float32" | "f64" | "float64".
absl::StatusOr<v1::DType> ParseDType(std::string_view text);
// "x" | "output" (= "y").
absl::StatusOr<v1::InputKind> ParseInputKind(std::string_view text);
// "raw" | "packed".
absl::StatusOr<Encoding> ParseEncoding(std::string_view text);

// Numbers separated by commas and/or whitespace (so a file with one value per
// line works too); "nan", "inf", "-inf" allowed. INVALID_ARGUMENT names the
// first token that is not a number.
absl::StatusOr<std::vector<double>> ParseNumbers(std::string_view text);

// "name=value" items (e.g. "beta=1.5"), each a separate string or several
// joined by commas. INVALID_ARGUMENT for a missing '=', an empty name, a
// value that is not a number, or a name given twice.
absl::StatusOr<std::map<std::string, double>> ParseParams(
    const std::vector<std::string>& items);

// A payload-size mix: "1024", or "16,1024,65536" (uniform), or with weights
// "1024:9,65536:1" (9 of every 10 requests carry 1024 elements). Sizes accept
// the suffixes Ki and Mi ("64Ki" = 65536). Every size must be >= 1 and every
// weight >= 1.
struct SizeMix {
  std::vector<std::size_t> sizes;
  std::vector<int> weights;  // same length as sizes
};
absl::StatusOr<SizeMix> ParseSizeMix(std::string_view text);

}  // namespace activation::client

#endif  // CLIENT_CLI_PARSE_H_
