#include "server/server_builder.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace actserver {
namespace {

constexpr char kServiceName[] = "activation.v1.ActivationService";

activations::Options EngineOptions(const ServerOptions& options) {
  activations::Options engine;
  engine.threads = options.threads;
  return engine;
}

}  // namespace

std::string JoinHostPort(const std::string& host, int port) {
  if (absl::StrContains(host, ':') && !absl::StartsWith(host, "[")) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

ActivationServer::ActivationServer(const ServerOptions& options)
    : engine_(EngineOptions(options)),
      service_(&engine_, options.max_elements, &counters_) {}

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
  if (options.health_port < -1 || options.health_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "health_port: ", options.health_port,
        " is outside [0, 65535] (or -1 for none)"));
  }
  if (absl::Status limits = ValidateTransportLimits(options.transport);
      !limits.ok()) {
    return limits;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<ActivationServer> server(new ActivationServer(options));

  // Both are process-wide switches read by ServerBuilder: the standard
  // grpc.health.v1 service (Kubernetes gRPC probes, load balancers) and
  // server reflection (grpcurl-style tools).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  const std::string address = JoinHostPort(options.address, options.port);
  builder.AddListeningPort(address, *credentials, &server->port_);
  // gRPC sets SO_REUSEPORT by default, so a second server on a busy port
  // would start "successfully" and share its traffic; fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  ApplyTransportLimits(options.transport, &builder);
  builder.RegisterService(&server->service_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address,
                     " (address in use, or not an address of this host?)"));
  }
  const bool wildcard = options.address == "0.0.0.0" ||
                        options.address == "::" || options.address == "[::]";
  server->target_ = JoinHostPort(
      wildcard ? std::string("127.0.0.1") : options.address, server->port_);
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

ActivationServer::~ActivationServer() { Shutdown(absl::ZeroDuration()); }

std::shared_ptr<grpc::Channel> ActivationServer::InProcessChannel(
    const grpc::ChannelArguments& args) {
  return server_->InProcessChannel(args);
}

void ActivationServer::StartDraining() {
  if (server_ == nullptr) return;  // Start failed before building it
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (health_server_ != nullptr) {
    health_server_->GetHealthCheckService()->SetServingStatus(false);
  }
}

void ActivationServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  absl::call_once(shutdown_once_, [&] {
    StartDraining();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
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
