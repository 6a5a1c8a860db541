#include "client/activation_client.h"

#include <cstdint>
#include <optional>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "client/unix_socket_buffer.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"

namespace activation::client {
namespace {

// grpc::StatusCode and absl::StatusCode share the canonical numbering.
absl::Status ToAbslStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

enum class Family { kIpv4, kIpv6 };

// "1.2.3.4:80" -> kIpv4, "[::1]:80" -> kIpv6; nullopt for anything else
// (host names cannot go into gRPC's ipv4:/ipv6: address lists).
std::optional<Family> IpFamily(absl::string_view entry) {
  uint32_t port = 0;
  if (absl::ConsumePrefix(&entry, "[")) {
    const std::size_t close = entry.find("]:");
    if (close == absl::string_view::npos) return std::nullopt;
    if (!absl::SimpleAtoi(entry.substr(close + 2), &port)) return std::nullopt;
    return entry.substr(0, close).find(':') == absl::string_view::npos
               ? std::nullopt
               : std::optional<Family>(Family::kIpv6);
  }
  const std::size_t colon = entry.rfind(':');
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(entry.substr(colon + 1), &port) || port > 65535) {
    return std::nullopt;
  }
  std::vector<absl::string_view> octets =
      absl::StrSplit(entry.substr(0, colon), '.');
  if (octets.size() != 4) return std::nullopt;
  for (absl::string_view octet : octets) {
    uint32_t v = 0;
    if (!absl::SimpleAtoi(octet, &v) || v > 255) return std::nullopt;
  }
  return Family::kIpv4;
}

// Owns what one asynchronous unary call needs until its callback has run.
template <typename Request, typename Response>
struct AsyncCall {
  grpc::ClientContext context;
  std::shared_ptr<const Request> request;
  Response response;
  std::function<void(absl::StatusOr<Response>)> done;
};

void PrepareContext(const ActivationClient& client, const CallOptions& call,
                    grpc::ClientContext* context) {
  context->set_deadline(
      absl::ToChronoTime(absl::Now() + client.Timeout(call)));
  context->set_wait_for_ready(call.wait_for_ready);
}

// grpc.health.v1 has no C++ stubs in Debian's gRPC packages and its two
// messages have one field each, so the health check encodes them by hand
// (protobuf wire format) and calls the method through a generic stub rather
// than generating a second copy of health.proto that could clash with another
// in the same process.
std::string EncodeHealthCheckRequest(std::string_view service) {
  std::string out;
  if (service.empty()) return out;  // proto3 omits an empty string
  out.push_back(0x0A);              // field 1, wire type 2 (length-delimited)
  for (uint64_t n = service.size(); ; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
  }
  out.append(service);
  return out;
}

// HealthCheckResponse { ServingStatus status = 1; }: returns the status, 0
// (UNKNOWN) when absent, as proto3 omits default values.
absl::StatusOr<uint64_t> DecodeHealthCheckResponse(std::string_view bytes) {
  uint64_t status = 0;
  std::size_t i = 0;
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; i < bytes.size() && shift < 64; shift += 7) {
      const auto byte = static_cast<uint8_t>(bytes[i++]);
      *v |= uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  };
  while (i < bytes.size()) {
    uint64_t key = 0, value = 0;
    if (!varint(&key)) break;
    const uint64_t wire_type = key & 7;
    if (wire_type == 0) {
      if (!varint(&value)) break;
      if ((key >> 3) == 1) status = value;
    } else if (wire_type == 2) {
      if (!varint(&value) || value > bytes.size() - i) break;
      i += value;
    } else {
      break;
    }
    if (i == bytes.size()) return status;
  }
  if (i == bytes.size()) return status;
  return absl::InternalError("malformed grpc.health.v1.HealthCheckResponse");
}

}  // namespace

std::string_view HealthStatusName(HealthStatus status) {
  switch (status) {
    case HealthStatus::kServing:
      return "SERVING";
    case HealthStatus::kNotServing:
      return "NOT_SERVING";
    case HealthStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
    case HealthStatus::kUnknown:
      break;
  }
  return "UNKNOWN";
}

std::string ServiceConfigJson(int max_attempts) {
  // round_robin: one subchannel per resolved address, calls spread over them
  // (the default pick_first would send everything to one replica).
  std::string config = R"({"loadBalancingConfig":[{"round_robin":{}}])";
  if (max_attempts > 1) {
    // Retries only happen before the server has answered, so a computation is
    // never applied twice from the caller's view; UNAVAILABLE is what a
    // replica that is restarting or draining returns.
    absl::StrAppend(
        &config,
        R"(,"methodConfig":[{"name":[{"service":"activation.v1.ActivationService"},)"
        R"({"service":"grpc.health.v1.Health"}],"retryPolicy":{"maxAttempts":)",
        max_attempts,
        R"(,"initialBackoff":"0.05s","maxBackoff":"1s","backoffMultiplier":2,)"
        R"("retryableStatusCodes":["UNAVAILABLE"]}}])");
  }
  config.push_back('}');
  return config;
}

absl::StatusOr<std::string> ChannelTarget(std::string_view target_arg) {
  // Debian's Abseil is built with its own string_view, distinct from std's.
  const absl::string_view target = absl::StripAsciiWhitespace(
      absl::string_view(target_arg.data(), target_arg.size()));
  if (target.find(',') == absl::string_view::npos) {
    if (target.empty()) return absl::InvalidArgumentError("target is empty");
    return std::string(target);
  }
  std::vector<absl::string_view> entries = absl::StrSplit(target, ',');
  for (absl::string_view& entry : entries) {
    entry = absl::StripAsciiWhitespace(entry);
  }
  if (absl::StartsWith(entries[0], "unix:")) {
    // gRPC's unix: resolver takes a comma-separated list of paths.
    std::vector<absl::string_view> paths;
    for (absl::string_view entry : entries) {
      if (!absl::ConsumePrefix(&entry, "unix:") || entry.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "target list '", target,
            "' mixes unix: paths with other addresses, or has an empty one"));
      }
      absl::ConsumePrefix(&entry, "//");  // unix:///abs -> /abs
      paths.push_back(entry);
    }
    return absl::StrCat("unix:", absl::StrJoin(paths, ","));
  }
  std::optional<Family> family;
  for (absl::string_view entry : entries) {
    std::optional<Family> f = IpFamily(entry);
    if (!f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target list entry '", entry,
          "' is not an IP address with a port (1.2.3.4:50051 or "
          "[::1]:50051); for host names use dns:///NAME:PORT"));
    }
    if (family && *family != *f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target list '", target, "' mixes IPv4 and IPv6 addresses"));
    }
    family = f;
  }
  return absl::StrCat(*family == Family::kIpv4 ? "ipv4:" : "ipv6:",
                      absl::StrJoin(entries, ","));
}

absl::StatusOr<std::unique_ptr<ActivationClient>> ActivationClient::Create(
    const ClientOptions& options) {
  absl::StatusOr<std::string> target = ChannelTarget(options.target);
  if (!target.ok()) return target.status();
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout=", absl::FormatDuration(options.timeout),
                     " must be > 0"));
  }
  if (absl::Status buffer = ValidateUnixSendBuffer(options.unix_send_buffer);
      !buffer.ok()) {
    return buffer;
  }
  grpc::ChannelArguments args;
  AddUnixSendBuffer(options.unix_send_buffer, &args);
  args.SetServiceConfigJSON(ServiceConfigJson(options.max_attempts));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, options.max_attempts > 1 ? 1 : 0);
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  if (options.own_connections) {
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  }
  if (options.minimal_stack) {
    args.SetInt(GRPC_ARG_MINIMAL_STACK, 1);
    // The minimal stack would also drop the client's own deadline timer (a
    // call to a server that never answers would then wait for the
    // connection to fail): keep it.
    args.SetInt(GRPC_ARG_ENABLE_DEADLINE_CHECKS, 1);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls.enabled) {
    const TlsOptions& tls = options.tls;
    if (tls.cert_chain_pem.empty() != tls.private_key_pem.empty()) {
      return absl::InvalidArgumentError(
          "tls: a client certificate needs its private key and the reverse "
          "(mutual TLS takes both)");
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls.root_certs_pem;
    ssl.pem_cert_chain = tls.cert_chain_pem;
    ssl.pem_private_key = tls.private_key_pem;
    credentials = grpc::SslCredentials(ssl);
    if (!tls.server_name.empty()) {
      args.SetSslTargetNameOverride(tls.server_name);
    }
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  return std::make_unique<ActivationClient>(
      grpc::CreateCustomChannel(*target, credentials, args), options.timeout);
}

ActivationClient::ActivationClient(std::shared_ptr<grpc::Channel> channel,
                                   absl::Duration timeout)
    : channel_(std::move(channel)),
      stub_(v1::ActivationService::NewStub(channel_)),
      timeout_(timeout) {}

absl::Duration ActivationClient::Timeout(const CallOptions& call) const {
  return call.timeout > absl::ZeroDuration() ? call.timeout : timeout_;
}

absl::StatusOr<v1::ComputeResponse> ActivationClient::Compute(
    const v1::ComputeRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  PrepareContext(*this, call, &context);
  v1::ComputeResponse response;
  absl::Status status =
      ToAbslStatus(stub_->Compute(&context, request, &response));
  if (!status.ok()) return status;
  return response;
}

template <typename T>
absl::StatusOr<Values<T>> ActivationClient::Compute(
    const ComputeSpec& spec, std::span<const T> input, std::span<const T> grad,
    const CallOptions& call) const {
  absl::StatusOr<v1::ComputeResponse> response =
      Compute(MakeRequest<T>(spec, input, grad), call);
  if (!response.ok()) return response.status();
  Values<T> values;
  absl::StatusOr<std::vector<T>> output = TensorValues<T>(response->output());
  if (!output.ok()) return output.status();
  values.output = *std::move(output);
  if (response->has_derivative()) {
    absl::StatusOr<std::vector<T>> derivative =
        TensorValues<T>(response->derivative());
    if (!derivative.ok()) return derivative.status();
    values.derivative = *std::move(derivative);
  }
  values.shape.assign(response->output().shape().begin(),
                      response->output().shape().end());
  values.max_ulp_error = response->max_ulp_error();
  return values;
}

template absl::StatusOr<Values<float>> ActivationClient::Compute<float>(
    const ComputeSpec&, std::span<const float>, std::span<const float>,
    const CallOptions&) const;
template absl::StatusOr<Values<double>> ActivationClient::Compute<double>(
    const ComputeSpec&, std::span<const double>, std::span<const double>,
    const CallOptions&) const;

absl::StatusOr<v1::ComputeBatchResponse> ActivationClient::ComputeBatch(
    const v1::ComputeBatchRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  PrepareContext(*this, call, &context);
  v1::ComputeBatchResponse response;
  absl::Status status =
      ToAbslStatus(stub_->ComputeBatch(&context, request, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<std::vector<v1::ComputeStreamResponse>>
ActivationClient::ComputeStream(std::span<const v1::ComputeRequest> requests,
                                const CallOptions& call) const {
  grpc::ClientContext context;
  PrepareContext(*this, call, &context);
  auto stream = stub_->ComputeStream(&context);
  // Writing and reading on separate threads: writing everything first could
  // stall once flow-control windows fill with responses nobody reads.
  std::thread writer([&] {
    for (const v1::ComputeRequest& request : requests) {
      if (!stream->Write(request)) break;  // the stream failed; Finish says why
    }
    stream->WritesDone();
  });
  std::vector<v1::ComputeStreamResponse> responses;
  responses.reserve(requests.size());
  v1::ComputeStreamResponse response;
  while (stream->Read(&response)) responses.push_back(std::move(response));
  writer.join();
  absl::Status status = ToAbslStatus(stream->Finish());
  if (!status.ok()) return status;
  if (responses.size() != requests.size()) {
    return absl::InternalError(
        absl::StrCat("ComputeStream returned ", responses.size(),
                     " responses for ", requests.size(), " requests"));
  }
  return responses;
}

absl::StatusOr<v1::ListActivationsResponse> ActivationClient::ListActivations(
    const CallOptions& call) const {
  grpc::ClientContext context;
  PrepareContext(*this, call, &context);
  v1::ListActivationsResponse response;
  absl::Status status = ToAbslStatus(stub_->ListActivations(
      &context, v1::ListActivationsRequest(), &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<HealthStatus> ActivationClient::Health(
    std::string_view service, const CallOptions& call) const {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  PrepareContext(*this, call, &context);
  const std::string encoded = EncodeHealthCheckRequest(service);
  grpc::Slice slice(encoded);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status rpc_status;
  absl::Notification done;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check",
                    grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      rpc_status = std::move(s);
                      done.Notify();
                    });
  done.WaitForNotification();
  if (rpc_status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return HealthStatus::kServiceUnknown;  // the server knows no such service
  }
  absl::Status status = ToAbslStatus(rpc_status);
  if (!status.ok()) return status;
  grpc::Slice body;
  if (!response.DumpToSingleSlice(&body).ok()) {
    return absl::InternalError("cannot read the health response");
  }
  absl::StatusOr<uint64_t> code = DecodeHealthCheckResponse(std::string_view(
      reinterpret_cast<const char*>(body.begin()), body.size()));
  if (!code.ok()) return code.status();
  switch (*code) {
    case 1:
      return HealthStatus::kServing;
    case 2:
      return HealthStatus::kNotServing;
    case 3:
      return HealthStatus::kServiceUnknown;
    default:
      return HealthStatus::kUnknown;
  }
}

void ActivationClient::ComputeAsync(
    std::shared_ptr<const v1::ComputeRequest> request, ComputeDone done,
    const CallOptions& call) const {
  auto* state = new AsyncCall<v1::ComputeRequest, v1::ComputeResponse>;
  state->request = std::move(request);
  state->done = std::move(done);
  PrepareContext(*this, call, &state->context);
  stub_->async()->Compute(
      &state->context, state->request.get(), &state->response,
      [state](grpc::Status status) {
        std::unique_ptr<AsyncCall<v1::ComputeRequest, v1::ComputeResponse>>
            owned(state);
        if (status.ok()) {
          owned->done(std::move(owned->response));
        } else {
          owned->done(ToAbslStatus(status));
        }
      });
}

void ActivationClient::ComputeBatchAsync(
    std::shared_ptr<const v1::ComputeBatchRequest> request, BatchDone done,
    const CallOptions& call) const {
  auto* state =
      new AsyncCall<v1::ComputeBatchRequest, v1::ComputeBatchResponse>;
  state->request = std::move(request);
  state->done = std::move(done);
  PrepareContext(*this, call, &state->context);
  stub_->async()->ComputeBatch(
      &state->context, state->request.get(), &state->response,
      [state](grpc::Status status) {
        std::unique_ptr<
            AsyncCall<v1::ComputeBatchRequest, v1::ComputeBatchResponse>>
            owned(state);
        if (status.ok()) {
          owned->done(std::move(owned->response));
        } else {
          owned->done(ToAbslStatus(status));
        }
      });
}

}  // namespace activation::client
