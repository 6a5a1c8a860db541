// A fake ActivationService for actload's tests: every Compute is answered
// with its input unchanged (wrong for sigmoid, so --verify must count every
// answer), after `delay` (so a short --timeout must count every call as
// DEADLINE_EXCEEDED); ListActivations answers at once (actload's probe).
#ifndef TESTS_CLIENT_LYING_SERVICE_H_
#define TESTS_CLIENT_LYING_SERVICE_H_

#include <chrono>
#include <thread>

#include "activation/v1/activation.grpc.pb.h"

namespace activation::client {

class LyingService final : public v1::ActivationService::CallbackService {
 public:
  explicit LyingService(
      std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : delay_(delay) {}

 private:
  grpc::ServerUnaryReactor* Compute(grpc::CallbackServerContext* context,
                                    const v1::ComputeRequest* request,
                                    v1::ComputeResponse* response) override {
    *response->mutable_output() = request->input();
    auto* reactor = context->DefaultReactor();
    if (delay_.count() == 0) {
      reactor->Finish(grpc::Status::OK);
    } else {
      // Shutdown waits for the call, so the thread ends before the server.
      std::thread([reactor, delay = delay_] {
        std::this_thread::sleep_for(delay);
        reactor->Finish(grpc::Status::OK);
      }).detach();
    }
    return reactor;
  }
  grpc::ServerUnaryReactor* ListActivations(
      grpc::CallbackServerContext* context, const v1::ListActivationsRequest*,
      v1::ListActivationsResponse*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  const std::chrono::milliseconds delay_;
};

}  // namespace activation::client

#endif  // TESTS_CLIENT_LYING_SERVICE_H_
