// actload's stream mode (--rpc=stream, the gRPC engine): one ComputeStream
// per worker, on gRPC's callback API. Internal to actload. It owns the
// stream's write queue and the pairing of answers with messages; which
// message goes next, and what a completion adds up to, are the runner's
// (actload_runner.cc, through CompletionSink); verification is
// actload_verify's.
#ifndef CLIENT_ACTLOAD_STREAM_H_
#define CLIENT_ACTLOAD_STREAM_H_

#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "activation/v1/activation.pb.h"
#include "client/actload_internal.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/client_callback.h"

namespace activation::client::actload_internal {

// One ComputeStream. Messages are written one at a time (gRPC allows one
// outstanding write per stream) from a queue, and read continuously; the
// server answers in order, so the i-th response belongs to the i-th message.
// Every message Sent is reported to the sink once (Complete, then Release):
// answered, failed by the stream's end, or failed at once if the stream
// had already ended. Thread safety: Send and Close from any thread.
class StreamWorker final
    : public grpc::ClientBidiReactor<v1::ComputeRequest,
                                     v1::ComputeStreamResponse> {
 public:
  // Records into `tally`; `client` is the connection (for per_target),
  // `index` the worker's number (for NextOnStream).
  StreamWorker(CompletionSink* sink, Tally* tally, int client, int index)
      : sink_(sink), tally_(tally), client_(client), index_(index) {}
  grpc::ClientContext* context() { return &context_; }
  int client() const { return client_; }
  int index() const { return index_; }

  // After the stub's async()->ComputeStream(context(), this).
  void Begin();

  // Queues one message; `intended` is when it should have left.
  void Send(const Payload* payload, Clock::time_point intended);

  // No more messages: half-close once the queue is written.
  void Close();

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  struct Sent {
    const Payload* payload;
    Clock::time_point intended;
  };
  void FlushFailed();

  CompletionSink* const sink_;
  Tally* const tally_;
  const int client_;
  const int index_;
  grpc::ClientContext context_;
  v1::ComputeStreamResponse response_;
  absl::Mutex mu_;
  std::deque<const Payload*> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<Sent> sent_ ABSL_GUARDED_BY(mu_);
  std::vector<Sent> failed_now_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool close_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace activation::client::actload_internal

#endif  // CLIENT_ACTLOAD_STREAM_H_
