#include "server/transport_limits.h"

#include <grpc/grpc.h>

#include <climits>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace actserver {
namespace {

// gRPC's millisecond arguments are ints, and INT_MAX is their "never".
int Milliseconds(absl::Duration duration) {
  if (duration == absl::InfiniteDuration()) return INT_MAX;
  return static_cast<int>(absl::ToInt64Milliseconds(duration));
}

absl::Status CheckDuration(const char* name, absl::Duration duration,
                           bool infinite_allowed) {
  if (duration == absl::InfiniteDuration() && infinite_allowed) {
    return absl::OkStatus();
  }
  if (duration <= absl::ZeroDuration() ||
      duration >= absl::Milliseconds(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": ", absl::FormatDuration(duration), " is outside (0, ",
        absl::FormatDuration(absl::Milliseconds(INT_MAX)), ")",
        infinite_allowed ? " (or inf for never)" : ""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTransportLimits(const TransportLimits& limits) {
  if (limits.max_concurrent_streams < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_concurrent_streams: ", limits.max_concurrent_streams,
                     " must be >= 1"));
  }
  const struct {
    const char* name;
    absl::Duration value;
    bool infinite_allowed;
  } durations[] = {
      {"max_connection_idle", limits.max_connection_idle, true},
      {"max_connection_age", limits.max_connection_age, true},
      {"max_connection_age_grace", limits.max_connection_age_grace, true},
      {"keepalive_time", limits.keepalive_time, true},
      {"keepalive_timeout", limits.keepalive_timeout, false},
      {"min_client_ping_interval", limits.min_client_ping_interval, false},
      {"handshake_timeout", limits.handshake_timeout, false},
  };
  for (const auto& d : durations) {
    if (absl::Status status = CheckDuration(d.name, d.value, d.infinite_allowed);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

void ApplyTransportLimits(const TransportLimits& limits,
                          grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                              limits.max_concurrent_streams);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                              Milliseconds(limits.max_connection_idle));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                              Milliseconds(limits.max_connection_age));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                              Milliseconds(limits.max_connection_age_grace));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                              Milliseconds(limits.keepalive_time));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                              Milliseconds(limits.keepalive_timeout));
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Milliseconds(limits.min_client_ping_interval));
  builder->AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                              Milliseconds(limits.handshake_timeout));
}

}  // namespace actserver
