// actload's stream worker: see actload_stream.h. Owns the write queue and
// the pairing of answers with messages; the runner (through CompletionSink)
// decides what is sent next and records what came back.
#include "client/actload_stream.h"

#include <utility>

#include "absl/status/status.h"

namespace activation::client::actload_internal {

void StreamWorker::Begin() {
  StartRead(&response_);
  StartCall();
}

void StreamWorker::Send(const Payload* payload, Clock::time_point intended) {
  const v1::ComputeRequest* to_write = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) {
      // The stream died: fail the message at once, as a unary call would.
      failed_now_.push_back({payload, intended});
    } else {
      sent_.push_back({payload, intended});
      if (writing_) {
        queue_.push_back(payload);
      } else {
        writing_ = true;
        to_write = payload->request.get();
      }
    }
  }
  if (to_write != nullptr) {
    StartWrite(to_write);
  } else {
    FlushFailed();
  }
}

void StreamWorker::Close() {
  bool done_now = false;
  {
    absl::MutexLock lock(&mu_);
    close_requested_ = true;
    if (!writing_ && !writes_done_ && !finished_) {
      writes_done_ = true;
      done_now = true;
    }
  }
  if (done_now) StartWritesDone();
}

void StreamWorker::OnWriteDone(bool ok) {
  const v1::ComputeRequest* next = nullptr;
  bool half_close = false;
  {
    absl::MutexLock lock(&mu_);
    if (!ok) {  // the stream is broken; OnDone will fail what is pending
      writing_ = false;
      return;
    }
    if (!queue_.empty()) {
      next = queue_.front()->request.get();
      queue_.pop_front();
    } else {
      writing_ = false;
      if (close_requested_ && !writes_done_) {
        writes_done_ = true;
        half_close = true;
      }
    }
  }
  if (next != nullptr) StartWrite(next);
  if (half_close) StartWritesDone();
}

void StreamWorker::OnReadDone(bool ok) {
  if (!ok) return;  // end of stream; OnDone follows
  Sent sent;
  {
    absl::MutexLock lock(&mu_);
    if (sent_.empty()) return;  // the server broke the one-to-one rule
    sent = sent_.front();
    sent_.pop_front();
  }
  const v1::ComputeResponse* response = &response_.response();
  if (response_.has_error()) {
    sink_->Complete(
        *tally_, *sent.payload, client_, sent.intended,
        absl::Status(static_cast<absl::StatusCode>(response_.error().code()),
                     response_.error().message()),
        nullptr, 0);
  } else {
    sink_->Complete(*tally_, *sent.payload, client_, sent.intended,
                    absl::OkStatus(), &response, 1);
  }
  sink_->NextOnStream(index_);
  sink_->Release();
  StartRead(&response_);
}

void StreamWorker::FlushFailed() {
  std::vector<Sent> failed;
  {
    absl::MutexLock lock(&mu_);
    failed.swap(failed_now_);
  }
  for (const Sent& s : failed) {
    sink_->Complete(*tally_, *s.payload, client_, s.intended,
                    absl::UnavailableError("stream closed"), nullptr, 0);
    sink_->Release();
  }
}

void StreamWorker::OnDone(const grpc::Status& status) {
  std::deque<Sent> unanswered;
  {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    unanswered.swap(sent_);
    queue_.clear();
  }
  const absl::Status error =
      status.ok() ? absl::InternalError("stream ended with messages unanswered")
                  : ToAbsl(status);
  for (const Sent& s : unanswered) {
    sink_->Complete(*tally_, *s.payload, client_, s.intended, error, nullptr,
                    0);
    sink_->Release();
  }
  sink_->StreamFinished(this);
}

}  // namespace activation::client::actload_internal
