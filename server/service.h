// The gRPC adapter: activation.v1.ActivationService on the callback API.
// Each handler converts the request (request_codec.h), hands the jobs to the
// compute engine, and finishes the RPC from the engine's completion callback,
// so gRPC's callback threads never wait for the arithmetic.
#ifndef SERVER_SERVICE_H_
#define SERVER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>

#include "activation/v1/activation.grpc.pb.h"
#include "activations/evaluate.h"
#include "server/counters.h"
#include "server/metrics/call_recorder.h"

namespace actserver {

// Thread-safe. `engine`, `counters` and what `observability` points to must
// outlive the grpc::Server the service is registered with (every RPC finishes
// before Shutdown returns).
class ActivationServiceImpl final
    : public activation::v1::ActivationService::CallbackService {
 public:
  // `max_elements`: the most input values one call may carry (summed over a
  // batch; per message in a stream); more is RESOURCE_EXHAUSTED.
  // `observability`: where every RPC records its metrics (and access-log
  // line, when that is on).
  ActivationServiceImpl(const activations::Engine* engine,
                        std::size_t max_elements, ServiceCounters* counters,
                        metrics::Observability observability);

  grpc::ServerUnaryReactor* Compute(
      grpc::CallbackServerContext* context,
      const activation::v1::ComputeRequest* request,
      activation::v1::ComputeResponse* response) override;

  grpc::ServerUnaryReactor* ComputeBatch(
      grpc::CallbackServerContext* context,
      const activation::v1::ComputeBatchRequest* request,
      activation::v1::ComputeBatchResponse* response) override;

  grpc::ServerBidiReactor<activation::v1::ComputeRequest,
                          activation::v1::ComputeStreamResponse>*
  ComputeStream(grpc::CallbackServerContext* context) override;

  grpc::ServerUnaryReactor* ListActivations(
      grpc::CallbackServerContext* context,
      const activation::v1::ListActivationsRequest* request,
      activation::v1::ListActivationsResponse* response) override;

 private:
  // Runs `jobs` on the engine and finishes the RPC when they are done (on a
  // compute thread, or inline for small work).
  // `call` has the jobs' requests added; it records the end, with
  // `response`'s size when the work succeeded.
  grpc::ServerUnaryReactor* RunAndFinish(
      grpc::CallbackServerContext* context, std::vector<activations::Job> jobs,
      metrics::CallRecorder call, const google::protobuf::Message* response);

  const activations::Engine* engine_;
  std::size_t max_elements_;
  ServiceCounters* counters_;
  metrics::Observability observability_;
};

}  // namespace actserver

#endif  // SERVER_SERVICE_H_
