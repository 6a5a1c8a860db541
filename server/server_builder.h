// Builds and starts the whole server -- compute engine, ActivationService,
// health checking and reflection -- from one options struct. main.cc and the
// integration tests both start the server through this one function, so the
// tests run what ships.
#ifndef SERVER_SERVER_BUILDER_H_
#define SERVER_SERVER_BUILDER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "activations/evaluate.h"
#include "server/counters.h"
#include "server/metrics/access_log.h"
#include "server/metrics/grpc_heartbeat.h"
#include "server/metrics/metrics_http_server.h"
#include "server/metrics/server_metrics.h"
#include "server/service.h"
#include "server/tls_credentials.h"
#include "server/transport_limits.h"
#include "server/unix_socket_buffer.h"

namespace actserver {

struct ServerOptions {
  // Address to bind: an IPv4 or IPv6 literal or a host name. "0.0.0.0" is
  // every IPv4 interface, "::" every interface; "127.0.0.1" for tests.
  std::string address = "0.0.0.0";
  // TCP port; 0 lets the kernel choose (read it back with port()).
  int port = 50051;
  // Compute threads (the oneTBB arena); 0 means all cores.
  int threads = 0;
  // The compute threads run this much nicer than the process (0..19), so
  // that under a saturated CPU gRPC's threads -- health checks, refusals,
  // reading and writing -- get it first.
  int compute_nice = 5;
  // A call with fewer input values than this is computed on the gRPC thread
  // that received it; a larger one is split across the compute threads. A
  // hand-off to the compute threads costs more than it saves below a few
  // hundred thousand values: at 64 Ki float32 values per call it cost ~70 us
  // of CPU per call (the workers' wake-up and spin), a third of the call
  // (docs/benchmarks.md, "Session 16: calls under 256 Ki values computed
  // inline").
  std::size_t parallel_threshold = std::size_t{1} << 18;
  // activations::Options::split_when_busy: split a call at or above the
  // threshold across the compute threads even while other calls are in
  // flight (false: only when it is alone).
  bool split_busy_calls = false;
  // Largest request message accepted, in bytes; larger ones fail with
  // RESOURCE_EXHAUSTED before they reach the service. 64 MiB holds 16 Mi
  // float32 values.
  int max_message_bytes = 64 << 20;
  // Most input values one call may carry (a batch summed, a stream per
  // message); more is RESOURCE_EXHAUSTED. Default: what 64 MiB of float32
  // holds.
  std::size_t max_elements = std::size_t{1} << 24;
  // Most items in one ComputeBatch; more is RESOURCE_EXHAUSTED.
  std::size_t max_batch_items = 1 << 16;
  // Also listen on this Unix domain socket path ("" for none); clients reach
  // it as "unix:<path>". A stale socket file at the path is replaced.
  std::string unix_socket;
  // SO_SNDBUF of the Unix listener's sockets, in bytes (unix_socket_buffer.h):
  // over a Unix stream socket the sender's buffer alone bounds the bytes in
  // flight, and the kernel's default (net.core.wmem_default, 208 KiB) sends
  // a 4 MiB response in 10-20 writes and wake-ups. With 256 KiB to 1 MiB
  // on both ends a call took 10-20 % less CPU (client and server) than with
  // the default at 64 Ki and 1 Mi float32 values; 4 MiB made fewer syscalls
  // but did not save CPU at 1 Mi (docs/benchmarks.md, "Session 21: Unix
  // socket send buffers"). The kernel caps it at net.core.wmem_max and
  // holds up to twice it per connection, outside memory_budget. 0: the
  // kernel's default. TCP is not affected.
  int unix_send_buffer = 1 << 20;
  // Integer gRPC channel arguments set last, over the server's own choices:
  // ("grpc.http2.lookahead_bytes", 4194304) etc. (gRPC's GRPC_ARG_* names).
  // For experiments with gRPC's transport (docs/benchmarks.md, "Session 22:
  // gRPC transport arguments for large messages"); a name gRPC does not know
  // is ignored by gRPC. Each name must start with "grpc.".
  std::vector<std::pair<std::string, int>> grpc_int_args;
  // Bytes of requests and responses the server holds at once; a call that
  // does not fit is refused with RESOURCE_EXHAUSTED. 0: half the container's
  // memory limit, or of the machine's memory (system_memory.h). gRPC's
  // resource quota, which bounds what its transport buffers, gets the same.
  std::size_t memory_budget = 0;
  // Input values admitted and not yet computed, at most; more is
  // RESOURCE_EXHAUSTED (a call alone in the queue is always admitted).
  std::size_t max_queued_elements = std::size_t{1} << 25;
  // After this long without a call, idle response buffers and malloc's free
  // memory go back to the system (the process leaves its peak RSS); 0: never.
  absl::Duration idle_release_after = absl::Seconds(5);
  // Compute's read gate (ServiceLimits::gate_reads): true reads a request
  // only once the memory budget has room for it. false saves 5-10 % of the
  // server's CPU per small call (docs/benchmarks.md, "Session 25") but lets
  // gRPC receive every Compute request in full before the service can
  // refuse it; only for deployments whose max_message_bytes times the calls
  // in flight fits in memory.
  bool read_gate = true;
  // TLS or mutual TLS on `port` (tls_credentials.h); plaintext by default.
  TlsOptions tls;
  // HTTP/2 connection limits on `port` (transport_limits.h).
  TransportLimits transport;
  // A second listener, always plaintext, that serves only grpc.health.v1:
  // for probes that cannot speak TLS or present a client certificate
  // (Kubernetes' gRPC probes, a Docker HEALTHCHECK). Its status follows the
  // main port's: NOT_SERVING from StartDraining on. -1: no such listener;
  // 0: the kernel chooses (read it back with health_port()). Bound to
  // `health_address`, loopback unless a prober outside the host (kubelet
  // probing the pod IP) needs it.
  int health_port = -1;
  std::string health_address = "127.0.0.1";

  // Observability (docs/observability.md). All off by default.
  // "host:port" of the Prometheus /metrics HTTP server ("0.0.0.0:9464";
  // port 0 lets the kernel choose, see metrics_port()); empty: none.
  std::string metrics_address;
  // JSON access log, one line per request: a file (appended to) or "-" for
  // stderr; empty: none.
  std::string access_log;
  // Registers gRPC's channelz service (grpc.channelz.v1.Channelz).
  bool channelz = false;
  // With metrics_address, the same HTTP port answers /healthz and /readyz
  // on its own threads (metrics_http_server.h). /healthz turns 503 when
  // gRPC's threads have not answered an in-process health check for this
  // long (grpc_heartbeat.h): wedged, not merely busy. /readyz is 503 from
  // StartDraining on.
  absl::Duration liveness_stall = absl::Seconds(10);
};

// A started server. Thread-safe. Destroying it shuts it down (with no grace
// period) if Shutdown was not called.
class ActivationServer {
 public:
  // Binds, registers the services and starts serving; health is SERVING for
  // "" and for "activation.v1.ActivationService". UNAVAILABLE if an address
  // cannot be bound; INVALID_ARGUMENT for options out of range and for TLS
  // files that are unreadable, not PEM or do not match (the message names
  // the option and the file).
  static absl::StatusOr<std::unique_ptr<ActivationServer>> Start(
      const ServerOptions& options);

  ~ActivationServer();
  ActivationServer(const ActivationServer&) = delete;
  ActivationServer& operator=(const ActivationServer&) = delete;

  // The port bound (the kernel's choice when options.port was 0).
  int port() const { return port_; }
  // "host:port" to connect to: the bound address with its port, with a
  // wildcard address replaced by loopback and IPv6 in brackets.
  const std::string& target() const { return target_; }
  // Compute threads in use.
  int threads() const { return engine_.threads(); }
  // The memory budget in force (options.memory_budget, or the default).
  std::size_t memory_budget() const { return service_.budget().limit(); }
  const ActivationServiceImpl& service() const { return service_; }
  const ServiceCounters& counters() const { return counters_; }
  // The plaintext health-only port (the kernel's choice when
  // options.health_port was 0); 0 when there is none.
  int health_port() const { return health_port_; }
  // The registry every RPC records into (rendered at /metrics).
  const metrics::ServerMetrics& metrics() const { return metrics_; }
  // The /metrics (and /healthz, /readyz) port, or 0 when
  // options.metrics_address was empty.
  int metrics_port() const {
    return metrics_http_ == nullptr ? 0 : metrics_http_->port();
  }

  // A channel to this server that bypasses the network (for tests).
  std::shared_ptr<grpc::Channel> InProcessChannel(
      const grpc::ChannelArguments& args = {});

  // Health turns NOT_SERVING while the server goes on answering, so that
  // balancers and clients that watch health (gRPC client-side health
  // checking) stop sending it new calls before Shutdown closes the door.
  // Idempotent.
  void StartDraining();

  // Graceful stop: StartDraining, then new RPCs are refused and RPCs in
  // flight get until `grace` to finish before they are cancelled; gRPC's
  // GOAWAY goes out once they have finished and their clients have
  // acknowledged every byte of their responses (socket_drain.h: otherwise
  // gRPC's close can reset the connection under a response's tail). Returns
  // when every RPC has ended and the clients have hung up after gRPC's
  // GOAWAY -- an idle client connection can take seconds to (seen: ~5 s for
  // Python's grpcio) -- or at `grace`, when the rest is cut. Idempotent.
  void Shutdown(absl::Duration grace);

  // Blocks until Shutdown has run (from another thread).
  void Wait();

 private:
  ActivationServer(const ServerOptions& options, const ServiceLimits& limits,
                   std::unique_ptr<metrics::AccessLog> access_log);
  // Exports the service's resources (budget, queue, pool, refusals) through
  // metrics_; once, from the constructor.
  void RegisterResourceMetrics();
  absl::Status StartHealthServer(const ServerOptions& options);

  // /healthz and /readyz's answer (options.liveness_stall).
  metrics::MetricsHttpServer::HealthReport HttpHealth(
      absl::Duration liveness_stall) const;

  activations::Engine engine_;
  ServiceCounters counters_;
  metrics::ServerMetrics metrics_;
  std::unique_ptr<metrics::AccessLog> access_log_;  // null when off
  ActivationServiceImpl service_;
  // From StartDraining on; read by /readyz.
  std::atomic<bool> draining_{false};
  // Proves gRPC's threads answer, for /healthz; with metrics_http_ only.
  std::unique_ptr<metrics::GrpcHeartbeat> heartbeat_;
  // Reads metrics_, draining_ and heartbeat_: declared after them, so
  // destroyed before them.
  std::unique_ptr<metrics::MetricsHttpServer> metrics_http_;
  // Declared last: destroyed first, while the service it calls still exists.
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // health_port >= 0 only
  int port_ = 0;
  int health_port_ = 0;
  std::string target_;
  absl::once_flag shutdown_once_;
};

// "host:port", bracketing an IPv6 literal ("[::1]:50051").
std::string JoinHostPort(const std::string& host, int port);

// "grpc.http2.lookahead_bytes=4194304" -> {"grpc.http2.lookahead_bytes",
// 4194304}, for ServerOptions::grpc_int_args. INVALID_ARGUMENT (naming
// --grpc_arg) unless it is NAME=INT with NAME starting "grpc.".
absl::StatusOr<std::pair<std::string, int>> ParseGrpcIntArg(
    std::string_view text);

}  // namespace actserver

#endif  // SERVER_SERVER_BUILDER_H_
