// Proof that gRPC's callback threads are still answering, for a liveness
// probe that is itself answered elsewhere (the HTTP server's /healthz).
//
// A thread of its own asks grpc.health.v1.Health/Check through `channel`
// (the server's in-process channel: no socket, no connection the resource
// quota could close) every `interval`, and remembers when an answer -- any
// answer, SERVING or not -- last came back. The answer is produced on gRPC's
// callback threads, so a server whose threads are wedged (a deadlock, a
// handler that never returns) stops answering and SinceLastAnswer() grows;
// a server that is merely busy answers within its usual latency (hundreds
// of ms under the overload loads of docs/reliability.md).
//
// Example:
//   GrpcHeartbeat heartbeat(server->InProcessChannel(), absl::Seconds(1),
//                           absl::Seconds(5));
//   bool alive = heartbeat.SinceLastAnswer() < absl::Seconds(10);
#ifndef SERVER_METRICS_GRPC_HEARTBEAT_H_
#define SERVER_METRICS_GRPC_HEARTBEAT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace actserver::metrics {

// Thread-safe.
class GrpcHeartbeat {
 public:
  // Starts asking at once. `interval` > 0 between the end of one check and
  // the start of the next; each check has `timeout` (> 0) as its deadline.
  GrpcHeartbeat(std::shared_ptr<grpc::Channel> channel, absl::Duration interval,
                absl::Duration timeout);
  // Stops.
  ~GrpcHeartbeat();
  GrpcHeartbeat(const GrpcHeartbeat&) = delete;
  GrpcHeartbeat& operator=(const GrpcHeartbeat&) = delete;

  // Stops asking (a check in flight is cancelled) and lets the channel go;
  // returns once the thread has ended. Idempotent.
  void Stop();
  bool stopped() const;

  // Time since the last answer; since construction before the first.
  absl::Duration SinceLastAnswer() const;
  // Checks answered so far.
  long answers() const;

 private:
  void Run();

  const absl::Duration interval_;
  const absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;  // moved to the thread at start
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_answer_ ABSL_GUARDED_BY(mu_);
  long answers_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ClientContext* in_flight_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_GRPC_HEARTBEAT_H_
