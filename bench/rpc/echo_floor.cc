// echo_floor: the floor of the RPC bench (docs/benchmarks.md, "RPC path").
// A server of activation.v1.ActivationService built the way gRPC's own C++
// examples build one -- callback API, ServerBuilder defaults -- whose Compute
// returns the request's input tensor as the output and computes nothing.
// What it costs is what gRPC and protobuf cost for the same bytes; actserver
// is measured against it in the same run.
//
// The one departure from the defaults: gRPC refuses messages over 4 MiB by
// default, and a request of 1 Mi float32 values is 4 MiB plus its header, so
// --max_receive_message_bytes (64 MiB, as actserver) lifts the limit.
// Otherwise every 1 Mi call would "succeed" in HTTP terms with grpc-status
// RESOURCE_EXHAUSTED, which is what an h2load count of 2xx responses cannot
// tell apart from an answer.
//
// Prints "echo_floor: listening on HOST:PORT" (and " and unix:PATH" with
// --unix_socket) on stderr once serving; on SIGTERM or SIGINT stops
// (in-flight calls get 2 s) and prints how many calls it served.
#include <grpcpp/grpcpp.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "activation/v1/activation.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1", "Address to bind");
ABSL_FLAG(int, port, 0, "TCP port; 0 lets the kernel choose");
ABSL_FLAG(std::string, unix_socket, "",
          "Also listen on this Unix domain socket path (unix:PATH)");
ABSL_FLAG(int, max_receive_message_bytes, 64 << 20,
          "Largest request accepted (gRPC's default, 4 MiB, is too small for "
          "1 Mi float32 values)");

namespace {

namespace v1 = activation::v1;

// Compute echoes; ListActivations answers an empty catalogue (clients such
// as actload call it once to check the connection); the rest is
// UNIMPLEMENTED.
class EchoFloorService final : public v1::ActivationService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Compute(grpc::CallbackServerContext* context,
                                    const v1::ComputeRequest* request,
                                    v1::ComputeResponse* response) override {
    *response->mutable_output() = request->input();
    calls_.fetch_add(1, std::memory_order_relaxed);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* ListActivations(
      grpc::CallbackServerContext* context, const v1::ListActivationsRequest*,
      v1::ListActivationsResponse*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  std::uint64_t calls() const {
    return calls_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> calls_{0};
};

std::string HostPort(const std::string& host, int port) {
  return absl::StrContains(host, ':') ? absl::StrCat("[", host, "]:", port)
                                      : absl::StrCat(host, ":", port);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Echo server of activation.v1 (gRPC defaults): the RPC bench's floor.\n"
      "Usage: echo_floor [--address=127.0.0.1] [--port=0] "
      "[--unix_socket=PATH]");
  absl::ParseCommandLine(argc, argv);

  // Blocked before gRPC starts its threads, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  EchoFloorService service;
  grpc::ServerBuilder builder;
  int port = 0;
  const std::string address =
      HostPort(absl::GetFlag(FLAGS_address), absl::GetFlag(FLAGS_port));
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  const std::string unix_socket = absl::GetFlag(FLAGS_unix_socket);
  if (!unix_socket.empty()) {
    builder.AddListeningPort("unix:" + unix_socket,
                             grpc::InsecureServerCredentials());
  }
  builder.SetMaxReceiveMessageSize(
      absl::GetFlag(FLAGS_max_receive_message_bytes));
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "echo_floor: cannot listen on %s\n", address.c_str());
    return 1;
  }
  std::fprintf(stderr, "echo_floor: listening on %s%s%s\n",
               HostPort(absl::GetFlag(FLAGS_address), port).c_str(),
               unix_socket.empty() ? "" : " and unix:", unix_socket.c_str());

  int signal = 0;
  sigwait(&stop_signals, &signal);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  std::fprintf(stderr, "echo_floor: stopped after serving %llu calls\n",
               static_cast<unsigned long long>(service.calls()));
  return 0;
}
