#include "server/metrics/grpc_heartbeat.h"

#include <grpcpp/generic/generic_stub.h>

#include <string>
#include <utility>

#include "absl/synchronization/notification.h"

namespace actserver::metrics {

GrpcHeartbeat::GrpcHeartbeat(std::shared_ptr<grpc::Channel> channel,
                             absl::Duration interval, absl::Duration timeout)
    : interval_(interval),
      timeout_(timeout),
      channel_(std::move(channel)),
      last_answer_(absl::Now()),
      thread_([this] { Run(); }) {}

GrpcHeartbeat::~GrpcHeartbeat() { Stop(); }

void GrpcHeartbeat::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

bool GrpcHeartbeat::stopped() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

absl::Duration GrpcHeartbeat::SinceLastAnswer() const {
  absl::MutexLock lock(&mu_);
  return absl::Now() - last_answer_;
}

long GrpcHeartbeat::answers() const {
  absl::MutexLock lock(&mu_);
  return answers_;
}

void GrpcHeartbeat::Run() {
  // The stub holds the channel; it goes when the thread ends.
  grpc::GenericStub stub(std::move(channel_));
  // An empty HealthCheckRequest: the whole server (service ""). One empty
  // slice: a ByteBuffer without any is no message at all to gRPC.
  grpc::Slice empty(std::string{});
  const grpc::ByteBuffer request(&empty, 1);
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
      in_flight_ = &context;
    }
    grpc::ByteBuffer response;
    absl::Notification done;
    grpc::Status status;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check",
                   grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    absl::MutexLock lock(&mu_);
    in_flight_ = nullptr;
    // Any answer from the service counts (NOT_SERVING while draining is an
    // answer); a deadline or a cancellation is not.
    if (status.ok()) {
      last_answer_ = absl::Now();
      ++answers_;
    }
    mu_.AwaitWithTimeout(absl::Condition(&stop_), interval_);
    if (stop_) break;
  }
}

}  // namespace actserver::metrics
