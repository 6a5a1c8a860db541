#include "server/metrics/metrics_http_server.h"

#include <civetweb.h>

#include <cstring>
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

}  // namespace

int MetricsHttpServer::HandleMetrics(mg_connection* conn, void* self) {
  if (RejectMethod(conn)) return 405;
  const std::string body = static_cast<MetricsHttpServer*>(self)->render_();
  Reply(conn, kTextFormatContentType, body);
  return 200;
}

int MetricsHttpServer::HandleIndex(mg_connection* conn, void* /*self*/) {
  if (std::strcmp(mg_get_request_info(conn)->local_uri, "/") != 0) {
    mg_send_http_error(conn, 404, "not found; the metrics are at /metrics\n");
    return 404;
  }
  if (RejectMethod(conn)) return 405;
  Reply(conn, "text/plain; charset=utf-8", kIndex);
  return 200;
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& address, Render render) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size() ||
      (absl::StrContains(address.substr(0, colon), ':') &&
       !absl::StartsWith(address, "["))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address \"", address,
        "\" is not host:port (e.g. 0.0.0.0:9464, 127.0.0.1:0, [::1]:0)"));
  }
  std::unique_ptr<MetricsHttpServer> server(
      new MetricsHttpServer(std::move(render)));
  // civetweb spells addresses as we do ("127.0.0.1:0", "[::1]:0"), and
  // counts its listener and its workers separately: two workers serve a
  // scraper and an `actctl stats` at once; no keep-alive, so an idle
  // scraper holds no worker between scrapes.
  const char* options[] = {"listening_ports",
                           address.c_str(),
                           "num_threads",
                           "2",
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
