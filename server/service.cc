#include "server/service.h"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/catalog_response.h"
#include "server/inline_reactions_handler.h"
#include "server/job_planner.h"
#include "server/metrics/request_labels.h"
#include "server/response_encoder.h"
#include "server/status_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using Shared = ActivationServiceImpl::Shared;
using metrics::CallRecorder;
using metrics::Rpc;

metrics::RequestLabels LabelsOf(const DecodedRequest& request) {
  return metrics::LabelsOf(request.call, request.input.dtype);
}

// A received message's bytes as a chain over its slices, which `slices`
// keeps referenced (no copy).
wire::Chain ChainOf(const grpc::ByteBuffer& buffer,
                    std::vector<grpc::Slice>* slices) {
  wire::Chain chain;
  // Dump pushes one slice at a time: room for the ~17 slices of a 256 KiB
  // request at once (16 KiB frames), not five reallocations.
  slices->reserve(buffer.Length() / (16 << 10) + 2);
  if (!buffer.Valid() || !buffer.Dump(slices).ok()) return chain;
  chain.Reserve(slices->size());
  for (const grpc::Slice& slice : *slices) {
    chain.Append(wire::Piece{reinterpret_cast<const char*>(slice.begin()),
                             slice.size()});
  }
  return chain;
}

std::size_t TotalElements(const std::vector<DecodedRequest>& requests) {
  std::size_t n = 0;
  for (const DecodedRequest& r : requests) n += r.input.size;
  return n;
}

bool DeadlinePassed(const grpc::CallbackServerContext* context) {
  return context->deadline() <= std::chrono::system_clock::now();
}

absl::Status DeadlineExpired() {
  return absl::DeadlineExceededError(
      "the call's deadline passed before its computation started; it was not "
      "computed");
}

// Computes `jobs` and calls `done(status)` once: inline when the work is
// below the engine's parallel threshold (a small call: no task, no
// std::function), else on the engine, polling `context` for cancellation.
// The engine is told when other calls hold claims (being received, computed
// or sent besides this one's): it then splits the call only if
// --split_busy_calls.
template <typename Done>
void RunJobs(const activations::Engine& engine, const Admission& admission,
             std::vector<activations::Job> jobs, grpc::CallbackServerContext* context,
             Done done) {
  std::size_t elements = 0;
  for (const activations::Job& job : jobs) elements += job.size;
  if (elements < engine.options().parallel_threshold) {
    for (const activations::Job& job : jobs) activations::RunSerial(job);
    done(absl::OkStatus());
    return;
  }
  engine.Enqueue(
      std::move(jobs), [context] { return context->IsCancelled(); },
      std::move(done), /*others_waiting=*/admission.claims() > 1);
}

// Everything one computation holds from admission until its result is sent:
// the decoded requests (pointing into `slices`), the claim on the budget and
// queue, the response buffer the kernels write into, and the jobs.
struct Work {
  std::vector<grpc::Slice> slices;
  std::vector<DecodedRequest> requests;
  Admission::Ticket ticket;
  BufferPool::Buffer* buffer = nullptr;
  std::size_t response_size = 0;
  Scratch scratch;
  std::vector<activations::Job> jobs;

  // Admits the decoded requests and lays out their response: `size` gives
  // its bytes and `write` writes it, filling the output slots of each
  // request; then plans the jobs that compute into those slots.
  // `read`: the claim of the call's read, if any (Admission::Admit).
  template <typename Size, typename Write>
  absl::Status Prepare(const Shared& shared, std::size_t request_bytes,
                       Size size, Write write,
                       Admission::ReadTicket* read = nullptr) {
    response_size = size(requests);
    absl::StatusOr<Admission::Ticket> admitted = shared.admission->Admit(
        request_bytes, response_size, TotalElements(requests), &buffer, read);
    if (!admitted.ok()) return admitted.status();
    ticket = *std::move(admitted);
    wire::Writer writer(buffer->data, response_size);
    std::vector<OutputSlots> slots(requests.size());
    write(requests, &writer, slots);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      PlanJobs(requests[i], slots[i], &scratch, &jobs);
    }
    return absl::OkStatus();
  }

  // The computation ended: its values leave the queue, the request's bytes
  // are no longer needed (they leave the budget: the caller drops its
  // references to them), and on success the buffer becomes `out` (sent,
  // then back to the pool); otherwise it goes back at once.
  void Complete(const Shared& shared, bool ok, grpc::ByteBuffer* out) {
    requests.clear();
    slices.clear();
    ticket.Release();
    if (buffer == nullptr) return;
    if (ok) {
      grpc::Slice slice = shared.pool->ToSlice(buffer, response_size);
      grpc::ByteBuffer response(&slice, 1);
      out->Swap(&response);
    } else {
      shared.pool->Return(buffer);
    }
    buffer = nullptr;
  }

  ~Work() {
    // Only if the work never reached the engine.
    if (buffer != nullptr) buffer->pool->Return(buffer);
  }
};

void Account(const Shared& shared, const absl::Status& status,
             std::size_t requests, std::size_t elements) {
  if (status.ok()) {
    shared.counters->AddRequests(requests, elements);
  } else {
    shared.counters->AddError();
  }
}

// Compute and ComputeBatch: one reactor per call, deleted when gRPC is done
// with it. Two ways to serve them, by the reactor type `Base`:
// * GatedUnaryCall (the default): registered as streaming on the server's
//   side (the wire is the same: one message each way), so that the request
//   is read when this reactor asks for it, not before: a read first claims
//   room in the budget (Admission::StartRead), and a call the server cannot
//   take is refused before its payload is received.
// * ReceivedUnaryCall (ServiceLimits::gate_reads false, Compute only): gRPC's
//   raw unary callback, which receives the message before it makes the
//   reactor (`received`); the budget is claimed and the request admitted or
//   refused at once. One stream operation less per call -- the read, which
//   when gRPC's transport is busy on another thread goes through its
//   executor thread and wakes a poller (docs/benchmarks.md, "Session 25") --
//   for a server that can no longer refuse a request before receiving it.
// Either way the request's bytes are held in the budget until its result is
// written.
template <typename Base>
class UnaryCall final : public Base {
  static constexpr bool kGated = std::is_same_v<Base, ByteStreamReactor>;

 public:
  // `received` and `out`: the request gRPC received and the response it
  // sends, for ReceivedUnaryCall only.
  UnaryCall(const Shared& shared, grpc::CallbackServerContext* context,
            bool batch, const grpc::ByteBuffer* received = nullptr,
            grpc::ByteBuffer* out = nullptr)
      : out_(out),
        shared_(shared),
        context_(context),
        batch_(batch),
        call_(shared.observability,
              batch ? Rpc::kComputeBatch : Rpc::kCompute, context) {
    shared_.counters->AddRpc();
    shared_.reclaimer->Touch();
    // Counted as reading (and as a call) before the check, so that
    // StopReading and WaitForCalls, which set `draining` and then wait for
    // the counts to reach 0, cannot miss us.
    shared_.calls->fetch_add(1);
    shared_.reading->fetch_add(1);
    if (shared_.draining->load()) {
      // A refusal is not a call to wait for: under a client that keeps
      // calling, the count of refusals in flight would seldom be 0.
      shared_.calls->fetch_sub(1);
      counted_ = false;
      shared_.reading->fetch_sub(1);
      Fail(absl::UnavailableError(
          "the server is shutting down; retry on another replica"));
      return;
    }
    if constexpr (kGated) {
      absl::StatusOr<Admission::ReadTicket> read =
          shared_.admission->StartRead();
      if (!read.ok()) {
        shared_.reading->fetch_sub(1);
        Fail(read.status());  // counted by Admission's refusal counters
        return;
      }
      read_ = *std::move(read);
      this->StartRead(&request_);
    } else {
      // Received already: admitted by its real size (Compute), no estimate.
      request_ = *received;  // shares its slices, no copy
      OnReadDone(true);
    }
  }

  // The gated form's read completed; the other form calls it itself.
  void OnReadDone(bool ok) {
    shared_.reading->fetch_sub(1);
    if (!ok && context_->IsCancelled()) {
      // Gone (the client cancelled, its deadline passed, or gRPC refused the
      // message, e.g. over --max_message_bytes): gRPC has sent the status.
      return Fail(absl::CancelledError("the call was cancelled"));
    }
    if (!ok) {
      // The client half-closed without a message.
      return Fail(absl::InvalidArgumentError(
          batch_ ? "request: no activation.v1.ComputeBatchRequest message "
                   "was sent"
                 : "request: no activation.v1.ComputeRequest message was "
                   "sent"));
    }
    shared_.admission->ReadDone(request_.Length());
    call_.SetReceivedBytes(request_.Length());
    Compute();
  }

  // gRPC's unary handler runs OnDone on its executor thread (a hand-off per
  // call) unless the reactor says its reactions never block. Ours do not (a
  // delete and a counter): inline, as gRPC's own DefaultReactor. Not used by
  // the gated form's handler (inline_reactions_handler.h runs it inline).
  bool InternalInlineable() override { return true; }

  void OnDone() override {
    std::atomic<int>* const calls = counted_ ? shared_.calls : nullptr;
    delete this;
    // Last: WaitForCalls may return from here on.
    if (calls != nullptr) calls->fetch_sub(1);
  }

 private:
  void Compute() {
    const wire::Chain chain = ChainOf(request_, &work_.slices);
    if (batch_) {
      absl::StatusOr<std::vector<DecodedRequest>> decoded =
          DecodeBatchRequest(chain, shared_.limits);
      if (!decoded.ok()) return Fail(decoded.status());
      work_.requests = *std::move(decoded);
    } else {
      absl::StatusOr<DecodedRequest> decoded =
          DecodeComputeRequest(chain, shared_.limits, &id_);
      call_.SetMessageId(id_);  // set whenever the message parsed
      if (!decoded.ok()) return Fail(decoded.status());
      work_.requests.push_back(*std::move(decoded));
    }
    for (const DecodedRequest& r : work_.requests) {
      call_.AddRequest(LabelsOf(r), r.input.size);
    }
    if (DeadlinePassed(context_)) {
      shared_.observability.metrics->Refused(
          metrics::RefusalReason::kDeadlineExpired);
      return Fail(DeadlineExpired());
    }
    absl::Status prepared =
        batch_ ? work_.Prepare(shared_, chain.size(), BatchResponseSize,
                               WriteBatchResponse, &read_)
               : work_.Prepare(
                     shared_, chain.size(),
                     [](const std::vector<DecodedRequest>& r) {
                       return ComputeResponseSize(r[0]);
                     },
                     [](const std::vector<DecodedRequest>& r, wire::Writer* w,
                        std::span<OutputSlots> slots) {
                       slots[0] = WriteComputeResponse(r[0], w);
                     },
                     &read_);
    // Admitted or refused, the read's claim is over.
    read_.Release();
    if (!prepared.ok()) return Fail(prepared);
    const std::size_t elements = TotalElements(work_.requests);
    const std::size_t requests = work_.requests.size();
    shared_.observability.metrics->QueueDepthAdd(1);
    RunJobs(
        *shared_.engine, *shared_.admission, std::move(work_.jobs), context_,
        [this, requests, elements](absl::Status status) {
          shared_.observability.metrics->QueueDepthAdd(-1);
          const std::size_t sent = status.ok() ? work_.response_size : 0;
          work_.Complete(shared_, status.ok(), &response_);
          // Nothing reads the request after this: its bytes go now, not
          // when a client that may be slow to read has the response.
          request_.Clear();
          Account(shared_, status, requests, elements);
          call_.Finish(status, sent);
          if (status.ok()) {
            // `this` may be gone after this
            if constexpr (kGated) {
              this->StartWriteAndFinish(&response_, grpc::WriteOptions(),
                                        grpc::Status::OK);
            } else {
              out_->Swap(&response_);
              this->Finish(grpc::Status::OK);
            }
          } else {
            this->Finish(ToGrpcStatus(status));
          }
        });
  }

  void Fail(const absl::Status& status) {
    read_.Release();
    Account(shared_, status, 0, 0);
    // A message that did not decode counts as one computation of unknown
    // function, mode and dtype.
    if (work_.requests.empty()) call_.AddRequest({}, 0);
    call_.Finish(status, 0);
    this->Finish(ToGrpcStatus(status));
  }

  grpc::ByteBuffer* const out_;  // ReceivedUnaryCall's response, else null
  const Shared shared_;
  grpc::CallbackServerContext* const context_;
  const bool batch_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  Admission::ReadTicket read_;
  std::string id_;  // the Compute request's id, for the access log
  CallRecorder call_;
  Work work_;
  bool counted_ = true;  // in Shared::calls until OnDone
};

using GatedUnaryCall = UnaryCall<ByteStreamReactor>;
using ReceivedUnaryCall = UnaryCall<grpc::ServerUnaryReactor>;

// ComputeStream: every request gets one response, in arrival order. Requests
// are computed concurrently (each on the engine as it arrives) but written
// strictly in order from the head of `queue_`, one write outstanding at a
// time as gRPC requires. At most kMaxInFlight requests are read ahead of the
// writer: a client that does not read its responses stops being read from,
// which is what carries HTTP/2 flow control back to it. Each message goes
// through the same admission as a unary call; one refused, or one that does
// not parse, gets an error response and the stream goes on.
class StreamCall final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamCall(const Shared& shared, grpc::CallbackServerContext* context)
      : shared_(shared),
        context_(context),
        call_(shared.observability, Rpc::kComputeStream, context) {
    shared_.calls->fetch_add(1);
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      if (shared_.draining->load()) {
        // As UnaryCall: a stream opened after StopReading would keep
        // WaitForCalls waiting for as long as its client keeps it open.
        shared_.calls->fetch_sub(1);
        counted_ = false;
        finished_ = true;
        actions.finish = grpc::Status(
            grpc::StatusCode::UNAVAILABLE,
            "the server is shutting down; retry on another replica");
      } else {
        actions = NextActionsLocked();
      }
    }
    Perform(actions);
  }

  void OnReadDone(bool ok) override {
    Entry* entry = nullptr;
    {
      absl::MutexLock lock(&mu_);
      read_pending_ = false;
      if (ok) {
        reading_->read_at = absl::Now();
        entry = reading_.get();
        queue_.push_back(std::move(reading_));
        ++computing_;
      } else {
        // The client half-closed, or the call is gone.
        reads_done_ = true;
      }
    }
    if (entry != nullptr) {
      shared_.observability.metrics->StreamMessageReceived();
      Compute(entry);
    }
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      actions = NextActionsLocked();
    }
    Perform(actions);
  }

  void OnWriteDone(bool ok) override {
    std::unique_ptr<Entry> written;
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      write_pending_ = false;
      written = std::move(queue_.front());
      queue_.pop_front();
      if (!ok) write_failed_ = true;
      actions = NextActionsLocked();
    }
    if (ok) shared_.observability.metrics->StreamMessageSent();
    written.reset();  // gives its bytes back, outside the lock
    Perform(actions);
  }

  void OnDone() override {
    std::atomic<int>* const calls = counted_ ? shared_.calls : nullptr;
    delete this;
    // Last: WaitForCalls may return from here on.
    if (calls != nullptr) calls->fetch_sub(1);
  }

 private:
  // Requests read but not yet answered; bounds the memory a stream holds.
  static constexpr std::size_t kMaxInFlight = 4;

  struct Entry {
    grpc::ByteBuffer request;
    Work work;
    grpc::ByteBuffer response;
    bool ready = false;  // response complete, may be written
    absl::Time read_at;  // for the message's latency
    metrics::RequestLabels labels;  // "unknown" until decoded
  };

  // What to start once the lock is released: gRPC may run reactions inline,
  // so StartRead/StartWrite/Finish are never called under mu_.
  struct Actions {
    grpc::ByteBuffer* read = nullptr;
    const grpc::ByteBuffer* write = nullptr;
    std::optional<grpc::Status> finish;
  };

  Actions NextActionsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Actions actions;
    if (finished_) return actions;
    if (!write_pending_ && !write_failed_ && !queue_.empty() &&
        queue_.front()->ready) {
      write_pending_ = true;
      actions.write = &queue_.front()->response;
    }
    if (!read_pending_ && !reads_done_ && !write_failed_ &&
        queue_.size() < kMaxInFlight) {
      read_pending_ = true;
      reading_ = std::make_unique<Entry>();
      actions.read = &reading_->request;
    }
    // Finish only when nothing of ours is outstanding: no read or write
    // (their reactions would follow Finish), and no computation (its
    // callback would touch this reactor after OnDone deleted it).
    const bool idle = !read_pending_ && !write_pending_ && computing_ == 0;
    if (idle && write_failed_) {
      finished_ = true;
      actions.finish = grpc::Status(grpc::StatusCode::CANCELLED,
                                    "the stream's client went away");
    } else if (idle && reads_done_ && queue_.empty()) {
      finished_ = true;
      actions.finish = grpc::Status::OK;
    }
    return actions;
  }

  void Perform(const Actions& actions) {
    // Finish last: once it is called OnDone may delete this at any moment.
    if (actions.write != nullptr) StartWrite(actions.write);
    if (actions.read != nullptr) StartRead(actions.read);
    if (actions.finish.has_value()) {
      call_.FinishStream(absl::Status(
          static_cast<absl::StatusCode>(actions.finish->error_code()),
          actions.finish->error_message()));
      Finish(*actions.finish);
    }
  }

  // Computes `entry` (owned by queue_, which keeps it until it is written)
  // and marks it ready.
  void Compute(Entry* entry) {
    shared_.reclaimer->Touch();
    Work& work = entry->work;
    const wire::Chain chain = ChainOf(entry->request, &work.slices);
    std::string id;
    absl::StatusOr<DecodedRequest> decoded =
        DecodeComputeRequest(chain, shared_.limits, &id);
    if (!decoded.ok()) return Done(entry, id, decoded.status(), 0);
    work.requests.push_back(*std::move(decoded));
    entry->labels = LabelsOf(work.requests[0]);
    if (DeadlinePassed(context_)) {
      shared_.observability.metrics->Refused(
          metrics::RefusalReason::kDeadlineExpired);
      return Done(entry, id, DeadlineExpired(), 0);
    }
    absl::Status prepared = work.Prepare(
        shared_, chain.size(),
        [](const std::vector<DecodedRequest>& r) {
          return StreamResponseSize(r[0]);
        },
        [](const std::vector<DecodedRequest>& r, wire::Writer* w,
           std::span<OutputSlots> slots) {
          slots[0] = WriteStreamResponse(r[0], w);
        });
    if (!prepared.ok()) return Done(entry, id, prepared, 0);
    const std::size_t elements = work.requests[0].input.size;
    shared_.observability.metrics->QueueDepthAdd(1);
    RunJobs(
        *shared_.engine, *shared_.admission, std::move(work.jobs), context_,
        [this, entry, id = std::move(id), elements](absl::Status status) {
          shared_.observability.metrics->QueueDepthAdd(-1);
          Done(entry, id, status, elements);
        });
  }

  void Done(Entry* entry, const std::string& id, const absl::Status& status,
            std::size_t elements) {
    Account(shared_, status, 1, elements);
    entry->work.Complete(shared_, status.ok(), &entry->response);
    if (!status.ok()) {
      grpc::Slice slice(StreamErrorResponse(id, status));
      grpc::ByteBuffer response(&slice, 1);
      entry->response.Swap(&response);
    }
    call_.MessageDone(entry->labels, elements, status, entry->read_at,
                      entry->request.Length(), entry->response.Length(), id);
    // The message's bytes are no longer needed: give them back now rather
    // than when the response is written.
    entry->request.Clear();
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      entry->ready = true;
      --computing_;
      actions = NextActionsLocked();
    }
    Perform(actions);
  }

  const Shared shared_;
  grpc::CallbackServerContext* const context_;
  CallRecorder call_;

  absl::Mutex mu_;
  std::deque<std::unique_ptr<Entry>> queue_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Entry> reading_ ABSL_GUARDED_BY(mu_);
  int computing_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool counted_ = true;  // in Shared::calls until OnDone
};

grpc::ByteBuffer SerializedCatalog() {
  v1::ListActivationsResponse catalog;
  FillCatalog(&catalog);
  grpc::Slice slice(catalog.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

ActivationServiceImpl::ActivationServiceImpl(
    const activations::Engine* engine, const ServiceLimits& limits,
    ServiceCounters* counters, metrics::Observability observability)
    : budget_(limits.memory_budget_bytes),
      pool_(&budget_, limits.max_idle_buffer_bytes),
      admission_(&budget_, &pool_, limits.max_queued_elements,
                 limits.max_message_bytes),
      reclaimer_(&pool_, limits.idle_release_after),
      shared_{engine,         counters,      &admission_, &pool_,
              limits.request, observability, &reclaimer_, &reading_,
              &calls_,        &draining_},
      catalog_(SerializedCatalog()) {
  // Compute and ComputeBatch are unary on the wire, served as streams (see
  // UnaryCall): gRPC then leaves reading the request to the reactor. Their
  // reactions run inline (inline_reactions_handler.h): none of them waits.
  // Without the gate Compute is gRPC's raw unary callback.
  using Handler = InlineReactionsHandler;
  if (limits.gate_reads) {
    MarkMethodStreamed(
        kComputeMethod,
        new Handler([this](grpc::CallbackServerContext* context) {
          return new GatedUnaryCall(shared_, context, /*batch=*/false);
        }));
  } else {
    MarkMethodRawCallback(
        kComputeMethod,
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer,
                                                 grpc::ByteBuffer>(
            [this](grpc::CallbackServerContext* context,
                   const grpc::ByteBuffer* request,
                   grpc::ByteBuffer* response) {
              return new ReceivedUnaryCall(shared_, context, /*batch=*/false,
                                           request, response);
            }));
  }
  MarkMethodStreamed(kComputeBatchMethod,
                     new Handler([this](grpc::CallbackServerContext* context) {
                       return new GatedUnaryCall(shared_, context,
                                                 /*batch=*/true);
                     }));
}

bool ActivationServiceImpl::StopReading(absl::Time deadline) {
  draining_.store(true);
  while (reading_.load() > 0) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

bool ActivationServiceImpl::WaitForCalls(absl::Time deadline) {
  while (calls_.load() > 0) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
ActivationServiceImpl::ComputeStream(grpc::CallbackServerContext* context) {
  shared_.counters->AddRpc();
  return new StreamCall(shared_, context);
}

grpc::ServerUnaryReactor* ActivationServiceImpl::ListActivations(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  shared_.counters->AddRpc();
  CallRecorder call(shared_.observability, Rpc::kListActivations, context,
                    request->Length());
  std::vector<grpc::Slice> slices;
  absl::Status status = CheckEmptyRequest(
      ChainOf(*request, &slices), "activation.v1.ListActivationsRequest");
  if (status.ok()) *response = catalog_;  // shares the slice, no copy
  call.Finish(status, status.ok() ? catalog_.Length() : 0);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace actserver
