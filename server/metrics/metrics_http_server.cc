#include "server/metrics/metrics_http_server.h"

#include <civetweb.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/metrics/text_format.h"

namespace actserver::metrics {
namespace {

constexpr char kIndex[] =
    "activation-service metrics: GET /metrics (Prometheus text format)\n";
constexpr char kIndexWithHealth[] =
    "activation-service: GET /metrics (Prometheus text format), /healthz "
    "(liveness), /readyz (readiness)\n";
constexpr char kPlainText[] = "text/plain; charset=utf-8";

// Answers methods other than GET and HEAD with 405; true when it did.
bool RejectMethod(mg_connection* conn) {
  const char* method = mg_get_request_info(conn)->request_method;
  if (std::strcmp(method, "GET") == 0 || std::strcmp(method, "HEAD") == 0) {
    return false;
  }
  mg_response_header_start(conn, 405);
  mg_response_header_add(conn, "Allow", "GET, HEAD", -1);
  mg_response_header_add(conn, "Content-Length", "0", -1);
  mg_response_header_send(conn);
  return true;
}

void Reply(mg_connection* conn, const char* content_type,
           absl::string_view body) {
  mg_send_http_ok(conn, content_type, static_cast<long long>(body.size()));
  if (std::strcmp(mg_get_request_info(conn)->request_method, "HEAD") != 0) {
    mg_write(conn, body.data(), body.size());
  }
}

// A probe's answer: 200 or 503, a one-line body, never cached.
int ReplyProbe(mg_connection* conn, bool ok, absl::string_view body) {
  const int code = ok ? 200 : 503;
  const std::string length = std::to_string(body.size());
  mg_response_header_start(conn, code);
  mg_response_header_add(conn, "Content-Type", kPlainText, -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  mg_response_header_send(conn);
  if (std::strcmp(mg_get_request_info(conn)->request_method, "HEAD") != 0) {
    mg_write(conn, body.data(), body.size());
  }
  return code;
}

}  // namespace

int MetricsHttpServer::HandleMetrics(mg_connection* conn, void* self) {
  if (RejectMethod(conn)) return 405;
  const std::string body = static_cast<MetricsHttpServer*>(self)->render_();
  Reply(conn, kTextFormatContentType, body);
  return 200;
}

int MetricsHttpServer::HandleHealth(mg_connection* conn, void* self) {
  if (RejectMethod(conn)) return 405;
  const HealthReport report = static_cast<MetricsHttpServer*>(self)->health_();
  return ReplyProbe(conn, report.live,
                    report.live ? std::string("ok\n")
                                : absl::StrCat("unhealthy: ", report.reason,
                                               "\n"));
}

int MetricsHttpServer::HandleReady(mg_connection* conn, void* self) {
  if (RejectMethod(conn)) return 405;
  const HealthReport report = static_cast<MetricsHttpServer*>(self)->health_();
  const bool ready = report.live && report.ready;
  return ReplyProbe(conn, ready,
                    ready ? std::string("SERVING\n")
                          : absl::StrCat("NOT_SERVING: ", report.reason, "\n"));
}

int MetricsHttpServer::HandleIndex(mg_connection* conn, void* self) {
  const bool health = static_cast<MetricsHttpServer*>(self)->health_ != nullptr;
  if (std::strcmp(mg_get_request_info(conn)->local_uri, "/") != 0) {
    mg_send_http_error(conn, 404,
                       health ? "not found; see / for what is served\n"
                              : "not found; the metrics are at /metrics\n");
    return 404;
  }
  if (RejectMethod(conn)) return 405;
  Reply(conn, kPlainText, health ? kIndexWithHealth : kIndex);
  return 200;
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& address, Render render, Health health) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size() ||
      (absl::StrContains(address.substr(0, colon), ':') &&
       !absl::StartsWith(address, "["))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address \"", address,
        "\" is not host:port (e.g. 0.0.0.0:9464, 127.0.0.1:0, [::1]:0)"));
  }
  std::unique_ptr<MetricsHttpServer> server(
      new MetricsHttpServer(std::move(render), std::move(health)));
  // civetweb spells addresses as we do ("127.0.0.1:0", "[::1]:0"), and
  // counts its listener and its workers separately: three workers serve a
  // scraper, an `actctl stats` and a probe at once; no keep-alive, so an
  // idle scraper or prober holds no worker between requests.
  const char* options[] = {"listening_ports",
                           address.c_str(),
                           "num_threads",
                           "3",
                           "request_timeout_ms",
                           "10000",
                           "enable_keep_alive",
                           "no",
                           nullptr};
  mg_init_library(0);
  mg_callbacks callbacks{};
  // civetweb would otherwise print its errors on stderr itself; they come
  // back through mg_error_data instead.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options;
  char error_text[256] = {0};
  unsigned error_code = 0;
  mg_error_data error{};
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    mg_exit_library();
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on ", address, ": ",
        error_text[0] != 0 ? error_text : "civetweb failed to start"));
  }
  mg_set_request_handler(server->context_, "/metrics$", &HandleMetrics,
                         server.get());
  if (server->health_ != nullptr) {
    mg_set_request_handler(server->context_, "/healthz$", &HandleHealth,
                           server.get());
    mg_set_request_handler(server->context_, "/readyz$", &HandleReady,
                           server.get());
  }
  mg_set_request_handler(server->context_, "/", &HandleIndex, server.get());
  mg_server_port port{};
  if (mg_get_server_ports(server->context_, 1, &port) == 1) {
    server->port_ = port.port;
  }
  return server;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (context_ != nullptr) {
    mg_stop(context_);
    mg_exit_library();
  }
}

}  // namespace actserver::metrics
