// Conversion of the library's absl::Status into the grpc::Status a handler
// finishes with.
#ifndef SERVER_STATUS_UTIL_H_
#define SERVER_STATUS_UTIL_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace actserver {

// The gRPC status with the same code and message. absl and gRPC both use the
// canonical google.rpc.Code numbering, so every code maps to itself; a code
// outside that numbering (absl allows any int) becomes UNKNOWN. Thread-safe.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace actserver

#endif  // SERVER_STATUS_UTIL_H_
