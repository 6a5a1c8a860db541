// unary_floor_client: the least a C++ gRPC client can do per unary Compute
// call, the floor that actload's own cost per request is set against
// (docs/client.md, "Its own cost"). No histogram, no bookkeeping: a prebuilt
// request sent through the generic stub, `--concurrency` calls kept in
// flight on one channel until `--total` calls are answered; the response is
// not parsed (as h2load's is not).
//
//   unary_floor_client --target=127.0.0.1:PORT --size=16 --concurrency=64
//       --total=20000 --api=callback|cq [--cq_threads=1]
//
// --api=callback: gRPC's callback API, a new ClientContext per call, the
//   completion a std::function (what actload used before it had its own
//   completion queues).
// --api=cq: the completion-queue API, `--cq_threads` threads each polling
//   its own queue, a ClientContext per call.
// Prints one line: calls, seconds, calls/s, and its CPU per call.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "activation/v1/activation.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "host:port or unix:PATH");
ABSL_FLAG(int, size, 16, "float32 values per request");
ABSL_FLAG(int, concurrency, 64, "calls in flight");
ABSL_FLAG(int64_t, total, 20000, "calls to make");
ABSL_FLAG(std::string, api, "callback", "callback or cq");
ABSL_FLAG(int, cq_threads, 1, "--api=cq: completion queues (one thread each)");
ABSL_FLAG(bool, deadlock_detection, true, "absl::Mutex deadlock detection");
ABSL_FLAG(bool, retries, true, "grpc.enable_retries");
ABSL_FLAG(bool, minimal_stack, false, "grpc.minimal_stack");

namespace {

const std::string kMethod = "/activation.v1.ActivationService/Compute";

grpc::ByteBuffer Request(int size) {
  activation::v1::ComputeRequest request;
  request.set_function("sigmoid");
  request.set_mode(activation::v1::MODE_FORWARD);
  activation::v1::Tensor* input = request.mutable_input();
  input->add_shape(size);
  input->mutable_raw()->set_dtype(activation::v1::DTYPE_FLOAT32);
  input->mutable_raw()->mutable_data()->assign(size * sizeof(float), '\0');
  const std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

// Callback API: each completion issues the next call.
class CallbackLoop {
 public:
  CallbackLoop(std::shared_ptr<grpc::Channel> channel, grpc::ByteBuffer request,
               int64_t total)
      : stub_(std::move(channel)), request_(std::move(request)), total_(total) {}

  void Run(int concurrency) {
    live_ = concurrency;
    for (int i = 0; i < concurrency; ++i) Next();
    done_.WaitForNotification();
  }

  int64_t failed() const { return failed_.load(); }

 private:
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer response;
  };

  void Next() {
    if (issued_.fetch_add(1) >= total_) {
      if (live_.fetch_sub(1) == 1) done_.Notify();
      return;
    }
    auto* call = new Call;
    call->context.set_deadline(Deadline());
    stub_.UnaryCall(&call->context, kMethod, grpc::StubOptions(), &request_,
                    &call->response, [this, call](grpc::Status status) {
                      if (!status.ok()) failed_.fetch_add(1);
                      delete call;
                      Next();
                    });
  }

  grpc::GenericStub stub_;
  const grpc::ByteBuffer request_;
  const int64_t total_;
  std::atomic<int64_t> issued_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int> live_{0};
  absl::Notification done_;
};

// Completion-queue API: each thread owns a queue and its share of the calls.
class CqLoop {
 public:
  CqLoop(std::shared_ptr<grpc::Channel> channel, grpc::ByteBuffer request,
         int64_t total)
      : stub_(std::move(channel)), request_(std::move(request)), total_(total) {}

  void Run(int concurrency, int threads) {
    std::vector<std::thread> pollers;
    for (int t = 0; t < threads; ++t) {
      const int calls = concurrency / threads + (t < concurrency % threads);
      pollers.emplace_back([this, calls] { Poll(calls); });
    }
    for (std::thread& t : pollers) t.join();
  }

  int64_t failed() const { return failed_.load(); }

 private:
  struct Call {
    std::optional<grpc::ClientContext> context;
    grpc::ByteBuffer response;
    grpc::Status status;
  };

  bool Start(Call* call, grpc::CompletionQueue* cq) {
    if (issued_.fetch_add(1) >= total_) return false;
    call->context.emplace();
    call->context->set_deadline(Deadline());
    auto reader = stub_.PrepareUnaryCall(&*call->context, kMethod, request_, cq);
    reader->StartCall();
    reader->Finish(&call->response, &call->status, call);
    return true;
  }

  void Poll(int calls) {
    grpc::CompletionQueue cq;
    std::vector<Call> slots(calls);
    int live = 0;
    for (Call& call : slots) live += Start(&call, &cq);
    void* tag = nullptr;
    bool ok = false;
    while (live > 0 && cq.Next(&tag, &ok)) {
      auto* call = static_cast<Call*>(tag);
      if (!ok || !call->status.ok()) failed_.fetch_add(1);
      if (!Start(call, &cq)) --live;
    }
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
  }

  grpc::GenericStub stub_;
  const grpc::ByteBuffer request_;
  const int64_t total_;
  std::atomic<int64_t> issued_{0};
  std::atomic<int64_t> failed_{0};
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string api = absl::GetFlag(FLAGS_api);
  if (api != "callback" && api != "cq") {
    std::fprintf(stderr, "--api=%s is not one of callback, cq\n", api.c_str());
    return 2;
  }
  if (!absl::GetFlag(FLAGS_deadlock_detection)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a channel of its own
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, absl::GetFlag(FLAGS_retries));
  args.SetInt(GRPC_ARG_MINIMAL_STACK, absl::GetFlag(FLAGS_minimal_stack));
  auto channel = grpc::CreateCustomChannel(
      absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(Deadline())) {
    std::fprintf(stderr, "cannot connect to %s\n",
                 absl::GetFlag(FLAGS_target).c_str());
    return 1;
  }
  const int64_t total = absl::GetFlag(FLAGS_total);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  grpc::ByteBuffer request = Request(absl::GetFlag(FLAGS_size));
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  int64_t failed = 0;
  if (api == "callback") {
    CallbackLoop loop(channel, std::move(request), total);
    loop.Run(concurrency);
    failed = loop.failed();
  } else {
    CqLoop loop(channel, std::move(request), total);
    loop.Run(concurrency, absl::GetFlag(FLAGS_cq_threads));
    failed = loop.failed();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  const double cpu = CpuSeconds() - cpu0;
  std::printf("%s: %lld calls (%lld failed) in %.3f s, %.1f calls/s, "
              "%.1f us CPU per call\n",
              api.c_str(), static_cast<long long>(total),
              static_cast<long long>(failed), seconds, total / seconds,
              1e6 * cpu / static_cast<double>(total));
  return failed == 0 ? 0 : 1;
}
