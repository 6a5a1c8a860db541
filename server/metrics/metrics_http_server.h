// A small HTTP/1.1 server for the metrics port, on Debian's civetweb:
//   GET /metrics   the body `render` returns, as the Prometheus text format
//   GET /          a one-line index pointing at /metrics
// anything else is 404 (405 for a method other than GET/HEAD). It runs its
// own few threads, apart from gRPC's and the compute arena, so a slow scraper
// never holds up an RPC.
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

  // Listens on `address`, "host:port" ("0.0.0.0:9464", "127.0.0.1:0",
  // "[::1]:0"; port 0 lets the kernel choose). INVALID_ARGUMENT for an
  // address without a port; UNAVAILABLE when it cannot be bound (the
  // message has civetweb's reason).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& address, Render render);

  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port bound (the kernel's choice when the address said 0).
  int port() const { return port_; }

 private:
  explicit MetricsHttpServer(Render render) : render_(std::move(render)) {}
  static int HandleMetrics(mg_connection* conn, void* self);
  static int HandleIndex(mg_connection* conn, void* self);

  const Render render_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_METRICS_HTTP_SERVER_H_
