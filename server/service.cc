#include "server/service.h"

#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/metrics/request_labels.h"
#include "server/request_codec.h"
#include "server/status_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using metrics::CallRecorder;
using metrics::LabelsOf;
using metrics::Rpc;

std::size_t CountElements(const std::vector<activations::Job>& jobs) {
  std::size_t elements = 0;
  for (const activations::Job& job : jobs) elements += job.size;
  return elements;
}

// ComputeStream: every request gets one response, in arrival order. Requests
// are computed concurrently (each on the engine as it arrives) but written
// strictly in order from the head of `queue_`, one write outstanding at a
// time as gRPC requires. At most kMaxInFlight requests are read ahead of the
// writer: a client that does not read its responses stops being read from,
// which is what carries HTTP/2 flow control back to it.
class StreamReactor final
    : public grpc::ServerBidiReactor<v1::ComputeRequest,
                                     v1::ComputeStreamResponse> {
 public:
  StreamReactor(grpc::CallbackServerContext* context,
                const activations::Engine* engine, std::size_t max_elements,
                ServiceCounters* counters,
                const metrics::Observability& observability)
      : context_(context),
        engine_(engine),
        max_elements_(max_elements),
        counters_(counters),
        observability_(observability),
        call_(observability, Rpc::kComputeStream, context) {
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      actions = NextActionsLocked();
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
      observability_.metrics->StreamMessageReceived();
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
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      write_pending_ = false;
      queue_.pop_front();
      if (!ok) write_failed_ = true;
      if (ok) observability_.metrics->StreamMessageSent();
      actions = NextActionsLocked();
    }
    Perform(actions);
  }

  void OnDone() override { delete this; }

 private:
  // Requests read but not yet answered; bounds the memory a stream holds.
  static constexpr std::size_t kMaxInFlight = 4;

  struct Entry {
    v1::ComputeRequest request;
    v1::ComputeStreamResponse response;
    bool ready = false;  // response complete, may be written
    absl::Time read_at;  // for the message's latency
  };

  // What to start once the lock is released: gRPC may run reactions inline,
  // so StartRead/StartWrite/Finish are never called under mu_.
  struct Actions {
    v1::ComputeRequest* read = nullptr;
    const v1::ComputeStreamResponse* write = nullptr;
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
    entry->response.set_id(entry->request.id());
    absl::StatusOr<activations::Job> job = PrepareCompute(
        entry->request, max_elements_, entry->response.mutable_response());
    if (!job.ok()) {
      Done(entry, job.status(), 0);
      return;
    }
    const std::size_t elements = job->size;
    observability_.metrics->QueueDepthAdd(1);
    engine_->Enqueue(
        {*job}, [context = context_] { return context->IsCancelled(); },
        [this, entry, elements](absl::Status status) {
          observability_.metrics->QueueDepthAdd(-1);
          Done(entry, status, elements);
        });
  }

  void Done(Entry* entry, const absl::Status& status, std::size_t elements) {
    if (status.ok()) {
      counters_->AddRequests(1, elements);
    } else {
      counters_->AddError();
      entry->response.clear_response();
      entry->response.mutable_error()->set_code(status.raw_code());
      entry->response.mutable_error()->set_message(
          std::string(status.message()));
    }
    call_.MessageDone(LabelsOf(entry->request), status.ok() ? elements : 0,
                      status, entry->read_at, entry->request.ByteSizeLong(),
                      entry->response.ByteSizeLong(), entry->request.id());
    Actions actions;
    {
      absl::MutexLock lock(&mu_);
      entry->ready = true;
      --computing_;
      actions = NextActionsLocked();
    }
    Perform(actions);
  }

  grpc::CallbackServerContext* const context_;
  const activations::Engine* const engine_;
  const std::size_t max_elements_;
  ServiceCounters* const counters_;
  const metrics::Observability observability_;
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
};

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

ActivationServiceImpl::ActivationServiceImpl(
    const activations::Engine* engine, std::size_t max_elements,
    ServiceCounters* counters, metrics::Observability observability)
    : engine_(engine),
      max_elements_(max_elements),
      counters_(counters),
      observability_(observability) {}

grpc::ServerUnaryReactor* ActivationServiceImpl::Compute(
    grpc::CallbackServerContext* context, const v1::ComputeRequest* request,
    v1::ComputeResponse* response) {
  counters_->AddRpc();
  CallRecorder call(observability_, Rpc::kCompute, context,
                    request->ByteSizeLong(), request->id());
  absl::StatusOr<activations::Job> job =
      PrepareCompute(*request, max_elements_, response);
  call.AddRequest(LabelsOf(*request), job.ok() ? job->size : 0);
  if (!job.ok()) {
    counters_->AddError();
    call.Finish(job.status(), 0);
    return FinishNow(context, job.status());
  }
  return RunAndFinish(context, {*job}, std::move(call), response);
}

grpc::ServerUnaryReactor* ActivationServiceImpl::ComputeBatch(
    grpc::CallbackServerContext* context,
    const v1::ComputeBatchRequest* request,
    v1::ComputeBatchResponse* response) {
  counters_->AddRpc();
  CallRecorder call(observability_, Rpc::kComputeBatch, context,
                    request->ByteSizeLong());
  absl::StatusOr<std::vector<activations::Job>> jobs =
      PrepareBatch(*request, max_elements_, response);
  for (int i = 0; i < request->items_size(); ++i) {
    call.AddRequest(LabelsOf(request->items(i)), jobs.ok() ? (*jobs)[i].size : 0);
  }
  if (!jobs.ok()) {
    counters_->AddError();
    call.Finish(jobs.status(), 0);
    return FinishNow(context, jobs.status());
  }
  return RunAndFinish(context, *std::move(jobs), std::move(call), response);
}

grpc::ServerBidiReactor<v1::ComputeRequest, v1::ComputeStreamResponse>*
ActivationServiceImpl::ComputeStream(grpc::CallbackServerContext* context) {
  counters_->AddRpc();
  return new StreamReactor(context, engine_, max_elements_, counters_,
                           observability_);
}

grpc::ServerUnaryReactor* ActivationServiceImpl::ListActivations(
    grpc::CallbackServerContext* context,
    const v1::ListActivationsRequest* /*request*/,
    v1::ListActivationsResponse* response) {
  counters_->AddRpc();
  CallRecorder call(observability_, Rpc::kListActivations, context);
  FillCatalog(response);
  call.Finish(absl::OkStatus(), response->ByteSizeLong());
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* ActivationServiceImpl::RunAndFinish(
    grpc::CallbackServerContext* context, std::vector<activations::Job> jobs,
    CallRecorder call, const google::protobuf::Message* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::size_t requests = jobs.size();
  const std::size_t elements = CountElements(jobs);
  observability_.metrics->QueueDepthAdd(1);
  // A deadline that passes or a client that cancels marks the context
  // cancelled; the engine polls this between chunks and stops early.
  engine_->Enqueue(
      std::move(jobs), [context] { return context->IsCancelled(); },
      [this, reactor, requests, elements, call = std::move(call),
       response](absl::Status status) mutable {
        observability_.metrics->QueueDepthAdd(-1);
        if (status.ok()) {
          counters_->AddRequests(requests, elements);
        } else {
          counters_->AddError();
        }
        call.Finish(status, status.ok() ? response->ByteSizeLong() : 0);
        reactor->Finish(ToGrpcStatus(status));
      });
  return reactor;
}

}  // namespace actserver
