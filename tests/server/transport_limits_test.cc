// TransportLimits: the range checks. That the limits reach gRPC is
// tests/integration/transport_limits_integration_test.cc.
#include "server/transport_limits.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace actserver {
namespace {

std::string Error(const TransportLimits& limits) {
  const absl::Status status = ValidateTransportLimits(limits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(TransportLimitsTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateTransportLimits({}).ok());
}

TEST(TransportLimitsTest, InfiniteWhereNeverMakesSense) {
  TransportLimits limits;
  limits.max_connection_idle = absl::InfiniteDuration();
  limits.max_connection_age = absl::InfiniteDuration();
  limits.max_connection_age_grace = absl::InfiniteDuration();
  limits.keepalive_time = absl::InfiniteDuration();
  EXPECT_TRUE(ValidateTransportLimits(limits).ok());
}

TEST(TransportLimitsTest, OutOfRange) {
  TransportLimits limits;
  limits.max_concurrent_streams = 0;
  EXPECT_EQ(Error(limits), "max_concurrent_streams: 0 must be >= 1");

  limits = {};
  limits.max_connection_idle = absl::ZeroDuration();
  EXPECT_EQ(Error(limits),
            "max_connection_idle: 0 is outside (0, 596h31m23.647s) (or inf for "
            "never)");
  limits = {};
  limits.max_connection_age = absl::Hours(1000);
  EXPECT_EQ(Error(limits),
            "max_connection_age: 1000h is outside (0, 596h31m23.647s) (or inf "
            "for never)");
  limits = {};
  limits.keepalive_timeout = absl::InfiniteDuration();
  EXPECT_EQ(Error(limits),
            "keepalive_timeout: inf is outside (0, 596h31m23.647s)");
  limits = {};
  limits.handshake_timeout = -absl::Seconds(1);
  EXPECT_EQ(Error(limits),
            "handshake_timeout: -1s is outside (0, 596h31m23.647s)");
  limits = {};
  limits.min_client_ping_interval = absl::ZeroDuration();
  EXPECT_EQ(Error(limits),
            "min_client_ping_interval: 0 is outside (0, 596h31m23.647s)");
}

}  // namespace
}  // namespace actserver
