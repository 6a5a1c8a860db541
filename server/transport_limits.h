// Limits on HTTP/2 connections: what gRPC 1.51 offers against clients that
// hold connections, streams or pings without doing useful work, as one
// struct the server builder applies as channel arguments.
//
// What each limit does against which abuse, and what it cannot do (rapid
// reset, CVE-2023-44487, is not bounded by any of them in gRPC 1.51), is
// measured in docs/reliability.md ("HTTP/2 abuse").
//
// Example:
//   TransportLimits limits;                      // the defaults below
//   limits.max_connection_idle = absl::Minutes(1);
//   ApplyTransportLimits(limits, &builder);
#ifndef SERVER_TRANSPORT_LIMITS_H_
#define SERVER_TRANSPORT_LIMITS_H_

#include <grpcpp/server_builder.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace actserver {

struct TransportLimits {
  // SETTINGS_MAX_CONCURRENT_STREAMS: calls one connection may have open at
  // once; a client opening more gets REFUSED_STREAM for the excess (gRPC
  // clients queue instead of exceeding it). gRPC's own default is unlimited.
  int max_concurrent_streams = 256;
  // A connection with no call for this long is closed with GOAWAY (clients
  // reconnect when they next call). Infinite: never, the default, as gRPC's.
  // A finite idle limit or age puts gRPC 1.51's max-age filter on every
  // call: +4.1 k instructions per 16-value call, 6 % of the whole call
  // (docs/benchmarks.md, "Session 19"). Idle connections are still closed
  // when gRPC's resource quota runs short (GOAWAY), and dead peers by the
  // keepalive below.
  absl::Duration max_connection_idle = absl::InfiniteDuration();
  // Every connection is closed (GOAWAY, calls in flight get
  // max_connection_age_grace to finish) after this long: makes clients
  // re-resolve DNS, so that new replicas get traffic (e.g. 30 min behind a
  // headless Kubernetes service; deploy/ sets none). Infinite by default: a
  // ComputeStream longer than age + grace would be cut, and a finite age
  // costs every call gRPC's max-age filter, as max_connection_idle does.
  absl::Duration max_connection_age = absl::InfiniteDuration();
  absl::Duration max_connection_age_grace = absl::Minutes(5);
  // The server pings a connection silent for keepalive_time and closes it if
  // no answer comes within keepalive_timeout: dead peers (a host gone without
  // a FIN) stop holding memory.
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // A client may ping at most this often while it has no call; pings more
  // frequent than that earn a strike, and the third strike closes the
  // connection with GOAWAY ENHANCE_YOUR_CALM "too_many_pings". gRPC's own
  // default; lower it only for clients that need faster keepalive.
  absl::Duration min_client_ping_interval = absl::Minutes(5);
  // A TCP connection must finish the HTTP/2 (and TLS) handshake within this,
  // or it is closed: bounds connections that connect and say nothing.
  absl::Duration handshake_timeout = absl::Seconds(10);
};

// INVALID_ARGUMENT naming the field when a limit is out of range
// (max_concurrent_streams < 1, a duration <= 0, a finite duration beyond
// INT_MAX ms, which gRPC's int channel arguments cannot hold).
absl::Status ValidateTransportLimits(const TransportLimits& limits);

// Sets `limits` on `builder` as gRPC channel arguments. `limits` must be
// valid.
void ApplyTransportLimits(const TransportLimits& limits,
                          grpc::ServerBuilder* builder);

}  // namespace actserver

#endif  // SERVER_TRANSPORT_LIMITS_H_
