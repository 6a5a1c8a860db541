// ActivationClient: a small C++ client for activation.v1.ActivationService.
//
//   auto client = activation::client::ActivationClient::Create(
//       {.target = "127.0.0.1:50051"});
//   if (!client.ok()) ...;
//   std::vector<float> x = {-1, 0, 1};
//   auto y = (*client)->Compute<float>({.function = "sigmoid"}, x);
//   // y->output == {0.2689..., 0.5, 0.7310...}
//
// One client holds one gRPC channel. The target may name several replicas
// ("127.0.0.1:50051,127.0.0.1:50052", or a DNS name resolving to several
// addresses): requests are spread over them with gRPC's round_robin policy,
// and a call that fails with UNAVAILABLE (a replica going away) is retried on
// another by the channel's service config.
//
// Every call carries a deadline: CallOptions::timeout, or the client's default.
// Errors come back as absl::Status with the server's code and message
// (INVALID_ARGUMENT: bad function/parameter/shape; RESOURCE_EXHAUSTED: too
// large; DEADLINE_EXCEEDED; UNAVAILABLE: no server reachable).
//
// Thread safety: every method is const and may be called from many threads at
// once; gRPC channels are thread-safe and multiplex concurrent calls.
#ifndef CLIENT_ACTIVATION_CLIENT_H_
#define CLIENT_ACTIVATION_CLIENT_H_

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "activation/v1/activation.grpc.pb.h"
#include "activation/v1/activation.pb.h"
#include "client/tensor_codec.h"
#include "grpcpp/channel.h"

namespace activation::client {

// TLS settings of a channel (PEM text, not file names).
struct TlsOptions {
  // TLS instead of plaintext.
  bool enabled = false;
  // CAs that sign the server's certificate; empty: the system's roots.
  std::string root_certs_pem;
  // This client's certificate chain and private key, for servers that
  // require client certificates (mutual TLS): both or neither.
  std::string cert_chain_pem;
  std::string private_key_pem;
  // The name the server's certificate must carry when it is not the target's
  // host (e.g. "localhost" when dialling 127.0.0.1 or a unix: socket).
  std::string server_name;
};

struct ClientOptions {
  // "host:port"; a unix socket ("unix:/run/act.sock", "unix:///abs.sock");
  // a comma-separated list of IP "addr:port" entries ("127.0.0.1:1,[::1]:2",
  // all of one family: gRPC's ipv4:/ipv6: list syntax) or of unix: paths
  // ("unix:/a.sock,unix:/b.sock"); or any gRPC target URI
  // ("dns:///svc.example:50051").
  std::string target = "localhost:50051";
  // Deadline of a call whose CallOptions leave it unset. Must be > 0.
  absl::Duration timeout = absl::Seconds(30);
  // Total attempts of a call that fails with UNAVAILABLE before any response
  // arrived (gRPC's retryPolicy.maxAttempts, clamped by gRPC to [2, 5]); 1
  // disables retries.
  int max_attempts = 4;
  // Largest message sent or received; the server's default limit is 64 MiB.
  int max_message_bytes = 64 << 20;
  // TLS (and mutual TLS) instead of plaintext.
  TlsOptions tls;
  // Give this client its own TCP connections instead of sharing them with
  // other channels to the same target in the process (load generators want
  // N independent connections).
  bool own_connections = false;
  // Leave out gRPC's optional client filters (grpc.minimal_stack: message
  // compression, the client-side message size checks) to spend less CPU per
  // call; deadlines are still enforced. For load generators.
  bool minimal_stack = false;
  // SO_SNDBUF of the channel's Unix-socket connections (unix: targets), in
  // bytes, in [0, 64 MiB]; 0 keeps the kernel's default (net.core.wmem_default,
  // 208 KiB on Debian). Over a Unix socket the sender's buffer alone bounds
  // the bytes in flight, so the default moves a 4 MiB request in ~70 KiB
  // pieces, a wake-up each on both sides; 1 MiB (the server's default too)
  // cuts that cost (client/unix_socket_buffer.h). The kernel caps it at
  // net.core.wmem_max. TCP connections are left to the kernel's autotuning.
  int unix_send_buffer = 1 << 20;
};

// Per-call settings.
struct CallOptions {
  // Deadline of the call from now; zero means the client's default.
  absl::Duration timeout = absl::ZeroDuration();
  // Wait for a connection instead of failing fast with UNAVAILABLE.
  bool wait_for_ready = false;
};

// Typed results of one computation.
template <typename T>
struct Values {
  std::vector<T> output;      // f(x), f'(x) or grad*f'(x), per the mode
  std::vector<T> derivative;  // f'(x) in MODE_FORWARD_AND_DERIVATIVE only
  std::vector<int64_t> shape;
  double max_ulp_error = 0;   // the server's error bound for this result
};

// grpc.health.v1 serving status.
enum class HealthStatus { kUnknown, kServing, kNotServing, kServiceUnknown };
std::string_view HealthStatusName(HealthStatus status);

// The gRPC service config this library gives its channels: round_robin over
// every resolved address and a retry policy for UNAVAILABLE with
// `max_attempts` attempts (JSON text). Exposed for tests and documentation.
std::string ServiceConfigJson(int max_attempts);

// The gRPC target URI for `target` as described in ClientOptions::target:
// lists become "ipv4:a,b", "ipv6:[a]:p,[b]:q" or "unix:/a,/b".
// INVALID_ARGUMENT for an empty entry, a list entry that is neither an IP
// literal with a port nor a unix: path, or a list mixing kinds.
absl::StatusOr<std::string> ChannelTarget(std::string_view target);

class ActivationClient {
 public:
  using ComputeDone = std::function<void(absl::StatusOr<v1::ComputeResponse>)>;
  using BatchDone =
      std::function<void(absl::StatusOr<v1::ComputeBatchResponse>)>;

  // Builds the channel (it connects lazily, on the first call).
  // INVALID_ARGUMENT for a bad target, a non-positive timeout, or a client
  // certificate without its key (or the reverse).
  static absl::StatusOr<std::unique_ptr<ActivationClient>> Create(
      const ClientOptions& options);

  // Wraps an existing channel, e.g. an in-process one in tests.
  ActivationClient(std::shared_ptr<grpc::Channel> channel,
                   absl::Duration timeout);

  // --- Synchronous calls: block the calling thread until done. ---

  absl::StatusOr<v1::ComputeResponse> Compute(
      const v1::ComputeRequest& request, const CallOptions& call = {}) const;

  // Typed convenience over Compute: builds the request from spans (float or
  // double) and decodes the response into vectors.
  template <typename T>
  absl::StatusOr<Values<T>> Compute(const ComputeSpec& spec,
                                    std::span<const T> input,
                                    std::span<const T> grad = {},
                                    const CallOptions& call = {}) const;

  absl::StatusOr<v1::ComputeBatchResponse> ComputeBatch(
      const v1::ComputeBatchRequest& request,
      const CallOptions& call = {}) const;

  // Sends every request on one ComputeStream and returns the responses in
  // order. A request the server rejects has its `error` set in its response;
  // the returned status is not OK only when the stream itself fails. The
  // deadline covers the whole stream.
  absl::StatusOr<std::vector<v1::ComputeStreamResponse>> ComputeStream(
      std::span<const v1::ComputeRequest> requests,
      const CallOptions& call = {}) const;

  absl::StatusOr<v1::ListActivationsResponse> ListActivations(
      const CallOptions& call = {}) const;

  // grpc.health.v1.Health/Check for `service` ("" = the whole server).
  absl::StatusOr<HealthStatus> Health(std::string_view service = "",
                                      const CallOptions& call = {}) const;

  // --- Asynchronous calls (gRPC callback API): return at once. ---
  // `done` runs exactly once, on a gRPC thread: keep it short and do not block
  // in it. The request is shared, not copied, so one request may be sent many
  // times concurrently (what a load generator does).

  void ComputeAsync(std::shared_ptr<const v1::ComputeRequest> request,
                    ComputeDone done, const CallOptions& call = {}) const;
  void ComputeBatchAsync(std::shared_ptr<const v1::ComputeBatchRequest> request,
                         BatchDone done, const CallOptions& call = {}) const;

  // The generated stub and the channel, for what this class does not wrap.
  v1::ActivationService::Stub& stub() const { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // The deadline `call` gives a call started now.
  absl::Duration Timeout(const CallOptions& call) const;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace activation::client

#endif  // CLIENT_ACTIVATION_CLIENT_H_
