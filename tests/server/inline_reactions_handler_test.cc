// InlineReactionsHandler: a method served through it behaves as one served
// through gRPC's own bidi handler -- every call answered, every reactor's
// OnDone run before Shutdown returns, a cancelled call's reactor told and
// finished, a missing reactor UNIMPLEMENTED -- run against both handlers.
// (That its reactions skip gRPC's executor is a cost, not a behaviour: the
// callgrind figures in docs/benchmarks.md, "RPC path", show it.)
#include "server/inline_reactions_handler.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "activation/v1/activation.grpc.pb.h"
#include "gtest/gtest.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;

constexpr char kMethod[] = "/activation.v1.ActivationService/Compute";

struct Record {
  std::atomic<int> reads{0};
  std::atomic<int> cancels{0};
  std::atomic<int> done{0};
};

// Reads one message and answers it with the same bytes (or INVALID_ARGUMENT
// when the client sent none), as UnaryCall does with its result; with
// `hold`, answers nothing until the call is cancelled.
class EchoReactor final : public ByteStreamReactor {
 public:
  EchoReactor(Record* record, bool hold) : record_(record), hold_(hold) {
    StartRead(&message_);
  }

  void OnReadDone(bool ok) override {
    record_->reads.fetch_add(1);
    if (hold_) return;
    if (ok) {
      StartWriteAndFinish(&message_, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no message"));
    }
  }

  void OnCancel() override {
    record_->cancels.fetch_add(1);
    if (hold_) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    record_->done.fetch_add(1);
    delete this;
  }

 private:
  Record* const record_;
  const bool hold_;
  grpc::ByteBuffer message_;
};

enum class Handler { kInline, kGrpcDefault };

class EchoService final
    : public v1::ActivationService::WithRawCallbackMethod_Compute<
          v1::ActivationService::Service> {
 public:
  enum class Mode { kEcho, kHold, kRefuse };

  EchoService(Handler handler, Record* record, Mode mode) {
    auto make = [record, mode](grpc::CallbackServerContext*)
        -> ByteStreamReactor* {
      if (mode == Mode::kRefuse) return nullptr;
      return new EchoReactor(record, mode == Mode::kHold);
    };
    if (handler == Handler::kInline) {
      MarkMethodStreamed(0, new InlineReactionsHandler(make));
    } else {
      MarkMethodStreamed(
          0, new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer,
                                                     grpc::ByteBuffer>(make));
    }
  }
};

class InlineReactionsHandlerTest : public ::testing::TestWithParam<Handler> {
 protected:
  using Mode = EchoService::Mode;

  void Start(Mode mode) {
    service_ = std::make_unique<EchoService>(GetParam(), &record_, mode);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    stub_ = std::make_unique<grpc::GenericStub>(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  // One unary call carrying `body`: its status and the answer's bytes.
  grpc::Status Call(const std::string& body, std::string* answer,
                    std::chrono::milliseconds timeout =
                        std::chrono::seconds(20)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    grpc::Slice slice(body);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    stub_->UnaryCall(&context, kMethod, grpc::StubOptions(), &request,
                     &response, [&](grpc::Status s) {
                       status = std::move(s);
                       done.Notify();
                     });
    done.WaitForNotification();
    std::vector<grpc::Slice> slices;
    answer->clear();
    if (status.ok() && response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        answer->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    return status;
  }

  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::seconds(5));
    }
  }

  Record record_;
  std::unique_ptr<EchoService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

TEST_P(InlineReactionsHandlerTest, AnswersEveryCallAndEndsEveryReactor) {
  Start(Mode::kEcho);
  constexpr int kCalls = 200;
  for (int i = 0; i < kCalls; ++i) {
    const std::string body = absl::StrCat("message ", i);
    std::string answer;
    ASSERT_TRUE(Call(body, &answer).ok()) << i;
    EXPECT_EQ(answer, body);
  }
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_.reset();
  // Every reactor finished (OnDone) before Shutdown returned.
  EXPECT_EQ(record_.reads.load(), kCalls);
  EXPECT_EQ(record_.done.load(), kCalls);
  EXPECT_EQ(record_.cancels.load(), 0);
}

TEST_P(InlineReactionsHandlerTest, ACancelledCallIsToldAndEnds) {
  Start(Mode::kHold);
  std::string answer;
  EXPECT_EQ(Call("x", &answer, std::chrono::milliseconds(200)).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_.reset();
  EXPECT_EQ(record_.reads.load(), 1);
  EXPECT_EQ(record_.cancels.load(), 1);
  EXPECT_EQ(record_.done.load(), 1);
}

TEST_P(InlineReactionsHandlerTest, NoReactorIsUnimplemented) {
  Start(Mode::kRefuse);
  std::string answer;
  EXPECT_EQ(Call("x", &answer).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

INSTANTIATE_TEST_SUITE_P(Handlers, InlineReactionsHandlerTest,
                         ::testing::Values(Handler::kInline,
                                           Handler::kGrpcDefault),
                         [](const auto& info) {
                           return info.param == Handler::kInline
                                      ? "Inline"
                                      : "GrpcDefault";
                         });

}  // namespace
}  // namespace actserver
