#include "server/status_util.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"

namespace actserver {
namespace {

struct CodePair {
  absl::StatusCode absl_code;
  grpc::StatusCode grpc_code;
};

// Written out by hand from both enumerations (not derived from either), so a
// wrong mapping shows up here.
constexpr CodePair kTable[] = {
    {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
    {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
    {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
    {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
    {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
    {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
    {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
    {absl::StatusCode::kResourceExhausted,
     grpc::StatusCode::RESOURCE_EXHAUSTED},
    {absl::StatusCode::kFailedPrecondition,
     grpc::StatusCode::FAILED_PRECONDITION},
    {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
    {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
    {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
    {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
    {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
    {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
    {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
};

TEST(ToGrpcStatusTest, OkIsOk) {
  const grpc::Status status = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.error_message(), "");
}

TEST(ToGrpcStatusTest, EveryCodeMapsToItsNamesake) {
  for (const CodePair& pair : kTable) {
    const std::string message = "field: value 3 is outside [0, 1] for code " +
                                absl::StatusCodeToString(pair.absl_code);
    const grpc::Status status =
        ToGrpcStatus(absl::Status(pair.absl_code, message));
    EXPECT_EQ(status.error_code(), pair.grpc_code)
        << absl::StatusCodeToString(pair.absl_code);
    EXPECT_EQ(status.error_message(), message);
  }
}

TEST(ToGrpcStatusTest, TableCoversEveryNonOkCode) {
  // google.rpc.Code runs 1..16; the table must hold each once.
  bool seen[17] = {};
  for (const CodePair& pair : kTable) {
    const int code = static_cast<int>(pair.absl_code);
    ASSERT_GE(code, 1);
    ASSERT_LE(code, 16);
    EXPECT_FALSE(seen[code]) << code;
    seen[code] = true;
  }
  for (int code = 1; code <= 16; ++code) EXPECT_TRUE(seen[code]) << code;
}

TEST(ToGrpcStatusTest, CodeOutsideTheCanonicalSetIsUnknown) {
  const grpc::Status status =
      ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(99), "odd"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(status.error_message(), "odd");
}

}  // namespace
}  // namespace actserver
