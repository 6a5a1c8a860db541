#include "server/server_builder.h"

#include <grpcpp/ext/channelz_service_plugin.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/metrics/metrics_exporter.h"
#include "server/metrics/request_labels.h"
#include "server/socket_drain.h"
#include "server/system_memory.h"

namespace actserver {
namespace {

constexpr char kServiceName[] = "activation.v1.ActivationService";

activations::Options EngineOptions(const ServerOptions& options) {
  activations::Options engine;
  engine.threads = options.threads;
  engine.worker_nice = options.compute_nice;
  engine.parallel_threshold = options.parallel_threshold;
  engine.split_when_busy = options.split_busy_calls;
  return engine;
}

ServiceLimits Limits(const ServerOptions& options) {
  ServiceLimits limits;
  limits.request.max_elements = options.max_elements;
  limits.request.max_batch_items = options.max_batch_items;
  limits.memory_budget_bytes = options.memory_budget > 0
                                   ? options.memory_budget
                                   : DefaultMemoryBudget();
  // An eighth of the budget, 256 MiB at most, may sit idle in the pool:
  // enough to keep a steady load's buffers; given back whenever a call needs
  // the room, and after idle_release_after without calls.
  limits.max_idle_buffer_bytes =
      std::min(limits.memory_budget_bytes / 8, std::size_t{256} << 20);
  limits.idle_release_after = options.idle_release_after;
  limits.max_queued_elements = options.max_queued_elements;
  limits.max_message_bytes = static_cast<std::size_t>(options.max_message_bytes);
  limits.gate_reads = options.read_gate;
  return limits;
}

std::size_t TransportQuota(const ServiceLimits& limits,
                           const ServerOptions& options) {
  return std::max(limits.memory_budget_bytes / 2,
                  2 * static_cast<std::size_t>(options.max_message_bytes));
}

// A Unix socket path whose directory cannot take it fails the whole build of
// the server with a message about the TCP port; say what is wrong instead.
absl::Status CheckUnixSocketPath(const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0              ? "/"
                                                    : path.substr(0, slash);
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on unix:", path, ": directory ", dir,
        " does not exist or is not writable"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::pair<std::string, int>> ParseGrpcIntArg(
    std::string_view text_arg) {
  const absl::string_view text(text_arg.data(), text_arg.size());
  const std::size_t eq = text.find('=');
  int value = 0;
  if (eq == absl::string_view::npos || !absl::StartsWith(text, "grpc.") ||
      !absl::SimpleAtoi(text.substr(eq + 1), &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grpc_arg: '", text,
        "' is not NAME=INTEGER with a gRPC argument name "
        "(e.g. grpc.http2.lookahead_bytes=4194304)"));
  }
  return std::make_pair(std::string(text.substr(0, eq)), value);
}

std::string JoinHostPort(const std::string& host, int port) {
  if (absl::StrContains(host, ':') && !absl::StartsWith(host, "[")) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

ActivationServer::ActivationServer(
    const ServerOptions& options, const ServiceLimits& limits,
    std::unique_ptr<metrics::AccessLog> access_log)
    : engine_(EngineOptions(options)),
      metrics_(metrics::ApiLabelValues()),
      access_log_(std::move(access_log)),
      service_(&engine_, limits, &counters_,
               metrics::Observability{&metrics_, access_log_.get()}) {
  RegisterResourceMetrics();
}

void ActivationServer::RegisterResourceMetrics() {
  using metrics::MetricType;
  using metrics::RefusalReason;
  const ActivationServiceImpl* service = &service_;
  metrics_.SetRefusedSource(RefusalReason::kMemoryBudget, [service] {
    return service->admission().refused_memory();
  });
  metrics_.SetRefusedSource(RefusalReason::kQueueFull, [service] {
    return service->admission().refused_queue();
  });
  const auto gauge = [&](const char* name, const char* help, auto read) {
    metrics_.RegisterCallback(name, MetricType::kGauge, help, [service, read] {
      return static_cast<double>(read(*service));
    });
  };
  const auto counter = [&](const char* name, const char* help, auto read) {
    metrics_.RegisterCallback(name, MetricType::kCounter, help,
                              [service, read] {
                                return static_cast<double>(read(*service));
                              });
  };
  gauge("actsvc_memory_budget_bytes",
        "The memory budget (--memory_budget): requests and responses held.",
        [](const ActivationServiceImpl& s) { return s.budget().limit(); });
  gauge("actsvc_memory_budget_used_bytes",
        "Bytes of the memory budget in use (idle pooled buffers included).",
        [](const ActivationServiceImpl& s) { return s.budget().used(); });
  gauge("actsvc_memory_budget_peak_bytes",
        "The most bytes of the memory budget ever in use at once.",
        [](const ActivationServiceImpl& s) { return s.budget().peak(); });
  gauge("actsvc_compute_queued_elements",
        "Input values admitted and not yet computed (the admission queue; "
        "--max_queued_elements).",
        [](const ActivationServiceImpl& s) {
          return s.admission().queued_elements();
        });
  gauge("actsvc_buffer_pool_idle_bytes",
        "Bytes of idle response buffers kept for reuse.",
        [](const ActivationServiceImpl& s) { return s.pool().idle_bytes(); });
  counter("actsvc_buffer_pool_reused_total",
          "Response buffers taken from the pool instead of allocated.",
          [](const ActivationServiceImpl& s) { return s.pool().reused(); });
  counter("actsvc_buffer_pool_allocated_total",
          "Response buffers allocated because none idle fitted.",
          [](const ActivationServiceImpl& s) { return s.pool().allocated(); });
  const activations::Engine* engine = &engine_;
  metrics_.RegisterCallback(
      "actsvc_compute_split_calls_total", MetricType::kCounter,
      "Calls at or above --parallel_threshold split across the compute "
      "threads (alone, or --split_busy_calls).",
      [engine] { return static_cast<double>(engine->split_counts().split); });
  metrics_.RegisterCallback(
      "actsvc_compute_one_thread_calls_total", MetricType::kCounter,
      "Calls at or above --parallel_threshold computed whole on one compute "
      "thread because other calls were in flight.",
      [engine] {
        return static_cast<double>(engine->split_counts().one_thread);
      });
}

absl::StatusOr<std::unique_ptr<ActivationServer>> ActivationServer::Start(
    const ServerOptions& options) {
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("port: ", options.port, " is outside [0, 65535]"));
  }
  if (options.threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threads: ", options.threads, " is negative; 0 means all cores"));
  }
  if (options.max_message_bytes <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_message_bytes: ", options.max_message_bytes, " must be > 0"));
  }
  if (options.compute_nice < 0 || options.compute_nice > 19) {
    return absl::InvalidArgumentError(absl::StrCat(
        "compute_nice: ", options.compute_nice, " is outside [0, 19]"));
  }
  if (options.max_queued_elements == 0) {
    return absl::InvalidArgumentError(
        "max_queued_elements: 0 admits nothing; it must be > 0");
  }
  if (options.max_batch_items == 0) {
    return absl::InvalidArgumentError(
        "max_batch_items: 0 admits no batch; it must be > 0");
  }
  if (options.health_port < -1 || options.health_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "health_port: ", options.health_port,
        " is outside [0, 65535] (or -1 for none)"));
  }
  if (options.liveness_stall <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("liveness_stall: ",
                     absl::FormatDuration(options.liveness_stall),
                     " must be > 0"));
  }
  if (absl::Status transport = ValidateTransportLimits(options.transport);
      !transport.ok()) {
    return transport;
  }
  if (absl::Status buffer = ValidateUnixSendBuffer(options.unix_send_buffer);
      !buffer.ok()) {
    return buffer;
  }
  for (const auto& [name, value] : options.grpc_int_args) {
    if (absl::Status arg = ParseGrpcIntArg(absl::StrCat(name, "=", value))
                               .status();
        !arg.ok()) {
      return arg;
    }
  }
  if (absl::Status unix_path = CheckUnixSocketPath(options.unix_socket);
      !unix_path.ok()) {
    return unix_path;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<metrics::AccessLog> access_log;
  if (!options.access_log.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::AccessLog>> opened =
        metrics::AccessLog::Open(options.access_log);
    if (!opened.ok()) return opened.status();
    access_log = *std::move(opened);
  }
  const ServiceLimits limits = Limits(options);
  std::unique_ptr<ActivationServer> server(
      new ActivationServer(options, limits, std::move(access_log)));

  // Both are process-wide switches read by ServerBuilder: the standard
  // grpc.health.v1 service (Kubernetes gRPC probes, load balancers) and
  // server reflection (grpcurl-style tools).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // Also process-wide; once on, every server built after it has channelz.
  if (options.channelz) grpc::channelz::experimental::InitChannelzService();

  grpc::ServerBuilder builder;
  // gRPC keeps channelz's per-call and per-socket statistics whether or not
  // anyone can read them; without --channelz they are only a cost.
  builder.AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, options.channelz ? 1 : 0);
  const std::string address = JoinHostPort(options.address, options.port);
  builder.AddListeningPort(address, *credentials, &server->port_);
  // gRPC sets SO_REUSEPORT by default, so a second server on a busy port
  // would start "successfully" and share its traffic; fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int unix_bound = 0;
  if (!options.unix_socket.empty()) {
    // The same credentials as the TCP port: a socket file's permissions
    // are not a reason to drop TLS a deployment asked for.
    builder.AddListeningPort("unix:" + options.unix_socket, *credentials,
                             &unix_bound);
    // Acts on Unix sockets only; the TCP port keeps the kernel's autotuning.
    builder.SetOption(UnixSendBufferOption(options.unix_send_buffer));
  }
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  ApplyTransportLimits(options.transport, &builder);
  // gRPC's own buffers -- requests being received, before the service can
  // admit or refuse them -- get their own bound: half the budget, and room
  // for two of the largest messages at least, or one large request could
  // never arrive. Past it gRPC reads in smaller pieces, sends GOAWAY to idle
  // connections and, last, resets streams (RESOURCE_EXHAUSTED).
  grpc::ResourceQuota quota("actserver");
  quota.Resize(TransportQuota(limits, options));
  builder.SetResourceQuota(quota);
  for (const auto& [name, value] : options.grpc_int_args) {
    builder.AddChannelArgument(name, value);
  }
  builder.RegisterService(&server->service_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ != nullptr && !options.unix_socket.empty() &&
      unix_bound == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on unix:", options.unix_socket,
        " (no such directory, or no permission?)"));
  }
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address,
                     " (address in use, or not an address of this host?)"));
  }
  const bool wildcard = options.address == "0.0.0.0" ||
                        options.address == "::" || options.address == "[::]";
  server->target_ = JoinHostPort(
      wildcard ? std::string("127.0.0.1") : options.address, server->port_);
  if (!options.metrics_address.empty()) {
    // Once a second, with a deadline well inside the stall limit: a check
    // under the heaviest overload measured takes ~0.3 s at most.
    server->heartbeat_ = std::make_unique<metrics::GrpcHeartbeat>(
        server->server_->InProcessChannel(grpc::ChannelArguments()),
        absl::Seconds(1), std::min(options.liveness_stall, absl::Seconds(5)));
    const metrics::ServerMetrics* registry = &server->metrics_;
    const ActivationServer* self = server.get();
    absl::StatusOr<std::unique_ptr<metrics::MetricsHttpServer>> http =
        metrics::MetricsHttpServer::Start(
            options.metrics_address,
            [registry, build = metrics::CurrentBuildInfo()] {
              return metrics::RenderScrape(*registry, build);
            },
            [self, stall = options.liveness_stall] {
              return self->HttpHealth(stall);
            });
    if (!http.ok()) return http.status();
    server->metrics_http_ = *std::move(http);
  }
  server->server_->GetHealthCheckService()->SetServingStatus(kServiceName,
                                                             true);
  if (options.health_port >= 0) {
    absl::Status health = server->StartHealthServer(options);
    if (!health.ok()) return health;
  }
  return server;
}

absl::Status ActivationServer::StartHealthServer(const ServerOptions& options) {
  // Only the default health service (enabled above, process-wide) is
  // registered: this port answers grpc.health.v1 and UNIMPLEMENTED to
  // everything else, so it gives nothing away without TLS.
  grpc::ServerBuilder builder;
  const std::string address =
      JoinHostPort(options.health_address, options.health_port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                           &health_port_);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Health requests are a few bytes.
  builder.SetMaxReceiveMessageSize(4096);
  health_server_ = builder.BuildAndStart();
  if (health_server_ == nullptr || health_port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", address,
        " for health (address in use, or not an address of this host?)"));
  }
  health_server_->GetHealthCheckService()->SetServingStatus(kServiceName,
                                                            true);
  return absl::OkStatus();
}

metrics::MetricsHttpServer::HealthReport ActivationServer::HttpHealth(
    absl::Duration liveness_stall) const {
  metrics::MetricsHttpServer::HealthReport report;
  if (draining_.load(std::memory_order_relaxed)) {
    report.ready = false;
    report.reason = "draining: the server is shutting down";
  }
  // A stopped heartbeat means Shutdown has begun: alive, not ready.
  if (heartbeat_ != nullptr && !heartbeat_->stopped()) {
    const absl::Duration since = heartbeat_->SinceLastAnswer();
    if (since >= liveness_stall) {
      report.live = false;
      report.reason = absl::StrCat(
          "gRPC's threads have not answered a health check for ",
          absl::FormatDuration(absl::Trunc(since, absl::Milliseconds(100))),
          " (limit ", absl::FormatDuration(liveness_stall), ")");
    }
  }
  return report;
}

ActivationServer::~ActivationServer() { Shutdown(absl::ZeroDuration()); }

std::shared_ptr<grpc::Channel> ActivationServer::InProcessChannel(
    const grpc::ChannelArguments& args) {
  return server_->InProcessChannel(args);
}

void ActivationServer::StartDraining() {
  if (server_ == nullptr) return;  // Start failed before building it
  draining_.store(true, std::memory_order_relaxed);
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (health_server_ != nullptr) {
    health_server_->GetHealthCheckService()->SetServingStatus(false);
  }
}

void ActivationServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  absl::call_once(shutdown_once_, [&] {
    StartDraining();
    // Unary calls are served as streams whose request the service reads
    // (service.h); gRPC's Shutdown would cut off a request still being
    // received, so the reads finish first.
    const absl::Time deadline = absl::Now() + grace;
    // Its checks would fail from here on; /healthz stays 200 (alive),
    // /readyz 503 (draining).
    if (heartbeat_ != nullptr) heartbeat_->Stop();
    service_.StopReading(deadline);
    // Then every call finishes and its response reaches the client's kernel
    // before gRPC's Shutdown sends GOAWAY: after GOAWAY gRPC closes each
    // connection as soon as its last call is done, which is when the
    // response is in the kernel's send buffer, and a close then can turn
    // into a TCP reset that drops the response's tail (socket_drain.h). A
    // deadline that passes on the way leaves the rest to gRPC, which
    // cancels what is still running.
    service_.WaitForCalls(deadline);
    const int ports[] = {port_};
    WaitForAcknowledgedWrites(ports, deadline);
    server_->Shutdown(absl::ToChronoTime(deadline));
    // Last, so that probes see NOT_SERVING (not a refused connection) for
    // as long as the main port drains.
    if (health_server_ != nullptr) {
      health_server_->Shutdown(absl::ToChronoTime(absl::Now()));
    }
  });
}

void ActivationServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace actserver
