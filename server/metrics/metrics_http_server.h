// A small HTTP/1.1 server for the metrics port, on Debian's civetweb:
//   GET /metrics   the body `render` returns, as the Prometheus text format
//   GET /healthz   liveness: 200 "ok", or 503 and why (when `health` given)
//   GET /readyz    readiness: 200 "SERVING", or 503 "NOT_SERVING: why"
//   GET /          a one-line index pointing at them
// anything else is 404 (405 for a method other than GET/HEAD). It runs its
// own few threads, apart from gRPC's and the compute arena, so a slow scraper
// never holds up an RPC, and a probe is answered however busy gRPC's threads
// are with the transport (docs/reliability.md, "Health over HTTP").
//
// Example:
//   auto http = MetricsHttpServer::Start("127.0.0.1:0", [&] { return Render(); });
//   // curl http://127.0.0.1:(*http)->port()/metrics
#ifndef SERVER_METRICS_METRICS_HTTP_SERVER_H_
#define SERVER_METRICS_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct mg_context;
struct mg_connection;

namespace actserver::metrics {

// Thread-safe. Destroying it stops serving (waiting for requests in progress).
class MetricsHttpServer {
 public:
  // Called for each GET /metrics, on one of the server's threads (possibly
  // several at once): must be thread-safe.
  using Render = std::function<std::string()>;

  // What /healthz and /readyz answer, asked afresh for each probe.
  struct HealthReport {
    bool live = true;   // /healthz: 200 when true, else 503
    bool ready = true;  // /readyz: 200 when true, else 503
    // One line saying why, when not live or not ready ("draining").
    std::string reason;
  };
  // Called for each GET /healthz or /readyz, on one of the server's threads
  // (possibly several at once): must be thread-safe and quick.
  using Health = std::function<HealthReport()>;

  // Listens on `address`, "host:port" ("0.0.0.0:9464", "127.0.0.1:0",
  // "[::1]:0"; port 0 lets the kernel choose). Without `health`, /healthz
  // and /readyz are 404. INVALID_ARGUMENT for an address without a port;
  // UNAVAILABLE when it cannot be bound (the message has civetweb's
  // reason).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& address, Render render, Health health = nullptr);

  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port bound (the kernel's choice when the address said 0).
  int port() const { return port_; }

 private:
  MetricsHttpServer(Render render, Health health)
      : render_(std::move(render)), health_(std::move(health)) {}
  static int HandleMetrics(mg_connection* conn, void* self);
  static int HandleHealth(mg_connection* conn, void* self);
  static int HandleReady(mg_connection* conn, void* self);
  static int HandleIndex(mg_connection* conn, void* self);

  const Render render_;
  const Health health_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_METRICS_HTTP_SERVER_H_
