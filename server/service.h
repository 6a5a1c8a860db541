// The gRPC adapter: activation.v1.ActivationService on the callback API, with
// every method registered raw (grpc::ByteBuffer in and out).
//
// A call's path, the same for Compute, ComputeBatch and each ComputeStream
// message:
//   1. decode the message where it arrived (request_decoder.h): no copy, and
//      a message that does not parse is INVALID_ARGUMENT;
//   2. admission (admission.h): the request's bytes and a response buffer from
//      the pool are taken from the memory budget, its values from the compute
//      queue -- or RESOURCE_EXHAUSTED at once; an expired deadline is
//      DEADLINE_EXCEEDED, never computed;
//   3. lay out the response in the buffer (response_encoder.h) and plan jobs
//      over the received slices (job_planner.h), so the kernels read the
//      request's bytes and write the response's;
//   4. hand the jobs to the engine, which finishes the RPC from its
//      completion callback: gRPC's threads never wait for the arithmetic;
//   5. the buffer goes to gRPC as the response's one slice and back to the
//      pool once sent; the request's bytes leave the budget once computed.
// Before 1., a unary call's request is read only when the budget has room
// for it (Admission::StartRead): Compute and ComputeBatch are served as
// streams so that gRPC does not receive a request nobody asked for.
// ListActivations answers from a response serialized once at start-up, off
// the compute path, as do health checks (gRPC's own service).
#ifndef SERVER_SERVICE_H_
#define SERVER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>

#include "activation/v1/activation.grpc.pb.h"
#include "activations/evaluate.h"
#include "absl/time/time.h"
#include "server/admission.h"
#include "server/idle_reclaimer.h"
#include "server/counters.h"
#include "server/memory_budget.h"
#include "server/metrics/call_recorder.h"
#include "server/request_decoder.h"

namespace actserver {

// What the service may hold and accept; ServerOptions fills it from flags.
struct ServiceLimits {
  RequestLimits request;
  // Bytes of requests and responses held at once, the pool's idle buffers
  // included.
  std::size_t memory_budget_bytes = std::size_t{1} << 30;
  // The largest request message: what reading a request claims from the
  // budget before the server has seen any (Admission::StartRead).
  std::size_t max_message_bytes = std::size_t{64} << 20;
  // Idle response buffers kept for reuse, at most (part of the budget).
  std::size_t max_idle_buffer_bytes = std::size_t{128} << 20;
  // Values admitted and not yet computed, at most.
  std::size_t max_queued_elements = std::size_t{1} << 26;
  // When no call has started for this long, the pool's idle buffers and
  // malloc's free memory go back to the system (idle_reclaimer.h); 0: never.
  absl::Duration idle_release_after = absl::Seconds(5);
  // Compute reads its request only once the budget has room for it (the
  // read gate: a call the server cannot take is refused before its payload
  // is received). false: gRPC receives every Compute request before the
  // service sees it -- 5-10 % less server CPU per small call, and the
  // budget then bounds only what is admitted; gRPC's resource quota alone
  // bounds requests being received (docs/reliability.md). ComputeBatch and
  // ComputeStream are gated either way.
  bool gate_reads = true;
};

namespace internal {
namespace v1 = ::activation::v1;
using RawService = v1::ActivationService::WithRawCallbackMethod_Compute<
    v1::ActivationService::WithRawCallbackMethod_ComputeBatch<
        v1::ActivationService::WithRawCallbackMethod_ComputeStream<
            v1::ActivationService::WithRawCallbackMethod_ListActivations<
                v1::ActivationService::Service>>>>;
}  // namespace internal

// Thread-safe. `engine`, `counters` and what `observability` points to must
// outlive the grpc::Server the service is registered with, and the service
// must too (every RPC finishes before Shutdown returns).
class ActivationServiceImpl final : public internal::RawService {
 public:
  // `observability`: where every RPC records its metrics (and access-log
  // line, when that is on).
  ActivationServiceImpl(const activations::Engine* engine,
                        const ServiceLimits& limits, ServiceCounters* counters,
                        metrics::Observability observability);

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ComputeStream(
      grpc::CallbackServerContext* context) override;

  grpc::ServerUnaryReactor* ListActivations(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

  // Shutting down, step 1: calls that start from now on are refused with
  // UNAVAILABLE (retryable) before their request is read, and this waits
  // until no call is still receiving its request, or until `deadline`. Then
  // every call in flight has its request in hand, and gRPC's Shutdown has
  // only computations and responses to wait for. False on the deadline.
  bool StopReading(absl::Time deadline);

  // Shutting down, step 2 (after StopReading): waits until every Compute,
  // ComputeBatch and ComputeStream call has been finished and is done (its
  // reactor's OnDone has run: the response is written to the transport), or
  // until `deadline`. New ComputeStream calls are refused from StopReading
  // on, as unary ones are, and refused calls are not waited for (a client
  // that keeps calling would otherwise hold the wait). False on the
  // deadline. Waiting here, before
  // gRPC's Shutdown sends GOAWAY, keeps gRPC from closing a connection the
  // moment its last call is done (server_builder.cc, socket_drain.h).
  bool WaitForCalls(absl::Time deadline);

  const MemoryBudget& budget() const { return budget_; }
  const Admission& admission() const { return admission_; }
  const BufferPool& pool() const { return pool_; }
  const IdleReclaimer& reclaimer() const { return reclaimer_; }

  // What every call shares; public for the call objects in service.cc.
  struct Shared {
    const activations::Engine* engine;
    ServiceCounters* counters;
    Admission* admission;
    BufferPool* pool;
    RequestLimits limits;
    metrics::Observability observability;
    IdleReclaimer* reclaimer;
    // Calls receiving their request, and whether new ones are refused.
    std::atomic<int>* reading;
    // Compute, ComputeBatch and ComputeStream calls not yet done (OnDone),
    // those refused for draining excepted.
    std::atomic<int>* calls;
    std::atomic<bool>* draining;
  };

 private:
  // The methods' indices in activation.v1.ActivationService (proto order).
  static constexpr int kComputeMethod = 0;
  static constexpr int kComputeBatchMethod = 1;

  std::atomic<int> reading_{0};
  std::atomic<int> calls_{0};
  std::atomic<bool> draining_{false};
  MemoryBudget budget_;
  BufferPool pool_;
  Admission admission_;
  IdleReclaimer reclaimer_;
  Shared shared_;
  grpc::ByteBuffer catalog_;  // the serialized ListActivationsResponse
};

}  // namespace actserver

#endif  // SERVER_SERVICE_H_
