// Clients of the two standard services the server hosts besides its own:
// grpc.health.v1.Health/Check and grpc.reflection.v1alpha.ServerReflection.
// Debian ships neither service's client stubs for C++, so these speak the
// protobuf wire format of their (small, frozen) messages directly through
// grpc::GenericStub.
#ifndef TESTS_INTEGRATION_GRPC_PROBES_H_
#define TESTS_INTEGRATION_GRPC_PROBES_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace actserver::testing {

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2 };

// Health/Check for `service` ("" is the whole server). A failed RPC (e.g.
// NOT_FOUND for a service the server does not know) is returned as its
// status.
grpc::Status CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
    ServingStatus* status,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// ServerReflectionInfo list_services: the full names of the services.
grpc::Status ListServices(
    const std::shared_ptr<grpc::Channel>& channel,
    std::vector<std::string>* services,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A unary call of `method` ("/pkg.Service/Method") whose request is `request`
// as given -- any bytes, parseable or not -- and whose response bytes land in
// `response`.
grpc::Status RawUnaryCall(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
    const std::string& request, std::string* response,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A bidirectional stream of `method`: writes every message of `requests` (any
// bytes), half-closes, and collects every response.
grpc::Status RawStreamCall(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
    const std::vector<std::string>& requests,
    std::vector<std::string>* responses,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace actserver::testing

#endif  // TESTS_INTEGRATION_GRPC_PROBES_H_
