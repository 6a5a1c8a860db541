// The handlers through an in-process channel: no sockets, but the real
// callback machinery, with the engine both inline and split into many small
// asynchronous chunks.
#include "server/service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "activation/v1/activation.grpc.pb.h"
#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "server/metrics/request_labels.h"
#include "tests/server/server_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::ComputeWithDeadline;
using ::actserver::testing::Grid;
using ::actserver::testing::kAllModes;
using ::actserver::testing::kAllWireTypes;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MatchesReference;
using ::actserver::testing::MixedBatch;
using ::actserver::testing::SetDeadline;
using ::actserver::testing::StatusIs;
using ::actserver::testing::TensorValues;
using ::actserver::testing::WireType;

struct EngineCase {
  std::string name;
  activations::Options options;
  // ServiceLimits::gate_reads: every test runs with Compute served both
  // ways (read-gated stream, gRPC's raw unary callback).
  bool gate_reads = true;
};

void PrintTo(const EngineCase& engine, std::ostream* os) { *os << engine.name; }

activations::Options Chunked() {
  // Every request above 64 elements goes through Enqueue's asynchronous path
  // and finishes the RPC from a compute thread.
  activations::Options options;
  options.threads = 2;
  options.parallel_threshold = 64;
  options.chunk_elements = 64;
  return options;
}

class ServiceTest : public ::testing::TestWithParam<EngineCase> {
 protected:
  void SetUp() override {
    engine_ = std::make_unique<activations::Engine>(GetParam().options);
    ServiceLimits limits;
    limits.request.max_elements = kMaxElements;
    limits.gate_reads = GetParam().gate_reads;
    service_ = std::make_unique<ActivationServiceImpl>(
        engine_.get(), limits, &counters_,
        metrics::Observability{&metrics_, nullptr});
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::ActivationService::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    server_->Shutdown();
    server_.reset();
  }

  grpc::Status Compute(const v1::ComputeRequest& request,
                       v1::ComputeResponse* response) {
    return ComputeWithDeadline(*stub_, request, response);
  }

  static constexpr std::size_t kMaxElements = 100000;
  ServiceCounters counters_;
  metrics::ServerMetrics metrics_{metrics::ApiLabelValues()};
  std::unique_ptr<activations::Engine> engine_;
  std::unique_ptr<ActivationServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
};

TEST_P(ServiceTest, ComputeEveryFunctionModeAndEncoding) {
  const std::vector<double> x = Grid(-6, 6, 301);
  for (const activations::ActivationSpec& spec : activations::Catalog()) {
    for (v1::Mode mode : kAllModes) {
      for (WireType type : kAllWireTypes) {
        const v1::ComputeRequest request =
            MakeRequest(std::string(spec.name), mode, type, x, {7, 43});
        v1::ComputeResponse response;
        if (!spec.elementwise && (mode == v1::MODE_DERIVATIVE ||
                                  mode == v1::MODE_FORWARD_AND_DERIVATIVE)) {
          // softmax's f' is a Jacobian: only forward and backward apply.
          EXPECT_TRUE(StatusIs(Compute(request, &response),
                               grpc::StatusCode::INVALID_ARGUMENT,
                               {"mode", "not elementwise"}))
              << request.id();
          continue;
        }
        ASSERT_TRUE(Compute(request, &response).ok()) << request.id();
        EXPECT_TRUE(MatchesReference(request, response));
      }
    }
  }
}

TEST_P(ServiceTest, DerivativeFromTheForwardOutput) {
  for (const activations::ActivationSpec& spec : activations::Catalog()) {
    if (!spec.derivative_from_output) continue;
    for (WireType type : kAllWireTypes) {
      v1::ComputeResponse forward;
      ASSERT_TRUE(Compute(MakeRequest(std::string(spec.name), v1::MODE_FORWARD,
                                      type, Grid(-5, 5, 200)),
                          &forward)
                      .ok());
      for (v1::Mode mode : {v1::MODE_DERIVATIVE, v1::MODE_BACKWARD}) {
        if (!spec.elementwise && mode == v1::MODE_DERIVATIVE) continue;
        v1::ComputeRequest request = MakeRequest(
            std::string(spec.name), mode, type, TensorValues(forward.output()));
        request.set_input_kind(v1::INPUT_KIND_OUTPUT);
        v1::ComputeResponse response;
        ASSERT_TRUE(Compute(request, &response).ok()) << request.id();
        EXPECT_TRUE(MatchesReference(request, response));
      }
    }
  }
}

TEST_P(ServiceTest, ParametersReachTheKernel) {
  v1::ComputeRequest request =
      MakeRequest("leaky_relu", v1::MODE_FORWARD_AND_DERIVATIVE,
                  WireType::kFloat64, Grid(-3, 3, 101));
  (*request.mutable_params())["negative_slope"] = 0.2;
  v1::ComputeResponse response;
  ASSERT_TRUE(Compute(request, &response).ok());
  EXPECT_TRUE(MatchesReference(request, response));
  EXPECT_DOUBLE_EQ(TensorValues(response.output()).front(), -0.6);
}

TEST_P(ServiceTest, ComputeErrorsCarryTheLibrarysMessage) {
  v1::ComputeRequest request =
      MakeRequest("softplus", v1::MODE_FORWARD, WireType::kFloat32, {1, 2});
  (*request.mutable_params())["beta"] = -1;
  v1::ComputeResponse response;
  EXPECT_TRUE(StatusIs(Compute(request, &response),
                       grpc::StatusCode::INVALID_ARGUMENT, {"beta", "-1"}));
  EXPECT_EQ(counters_.Get().errors, 1u);
}

TEST_P(ServiceTest, TooManyElements) {
  const v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kRawFloat32,
                  std::vector<double>(kMaxElements + 1, 1.0));
  v1::ComputeResponse response;
  EXPECT_TRUE(StatusIs(Compute(request, &response),
                       grpc::StatusCode::RESOURCE_EXHAUSTED, {"max_elements"}));
}

TEST_P(ServiceTest, BatchKeepsOrderAndEncodings) {
  const v1::ComputeBatchRequest request = MixedBatch();
  v1::ComputeBatchResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  const grpc::Status status = stub_->ComputeBatch(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.items_size(), request.items_size());
  for (int j = 0; j < request.items_size(); ++j) {
    EXPECT_TRUE(MatchesReference(request.items(j), response.items(j)));
  }
  const ServiceCounters::Snapshot counts = counters_.Get();
  EXPECT_EQ(counts.rpcs, 1u);
  EXPECT_EQ(counts.requests, static_cast<std::uint64_t>(request.items_size()));
}

TEST_P(ServiceTest, BatchWithAnInvalidItemFailsNamingIt) {
  v1::ComputeBatchRequest request;
  for (int i = 0; i < 4; ++i) {
    *request.add_items() =
        MakeRequest("tanh", v1::MODE_FORWARD, WireType::kFloat32, {1, 2});
  }
  request.mutable_items(2)->set_mode(v1::MODE_UNSPECIFIED);
  v1::ComputeBatchResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  const grpc::Status status = stub_->ComputeBatch(&context, request, &response);
  EXPECT_TRUE(StatusIs(status, grpc::StatusCode::INVALID_ARGUMENT,
                       {"items[2].mode: MODE_UNSPECIFIED"}));
  EXPECT_EQ(status.error_message().rfind("items[2].", 0), 0u);
}

TEST_P(ServiceTest, EmptyBatch) {
  v1::ComputeBatchResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(
      stub_->ComputeBatch(&context, v1::ComputeBatchRequest(), &response).ok());
  EXPECT_EQ(response.items_size(), 0);
}

TEST_P(ServiceTest, StreamAnswersInOrderAndSurvivesABadMessage) {
  // More messages than the server reads ahead, of sizes that finish out of
  // order (large ones first). Written from a thread of their own while this
  // one reads: the server stops reading from a client that does not read its
  // responses (flow control), so writing everything first could block.
  constexpr int kMessages = 24;
  constexpr int kBad = 9;
  std::vector<v1::ComputeRequest> requests;
  for (int i = 0; i < kMessages; ++i) {
    requests.push_back(MakeRequest("mish", kAllModes[i % 4],
                                   kAllWireTypes[i % 4],
                                   Grid(-5, 5, 4000 - 150 * i)));
    requests.back().set_id(absl::StrCat("msg-", i));
  }
  requests[kBad].set_function("no_such_function");

  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = stub_->ComputeStream(&context);
  std::thread writer([&] {
    for (const v1::ComputeRequest& request : requests) {
      EXPECT_TRUE(stream->Write(request));
    }
    EXPECT_TRUE(stream->WritesDone());
  });
  v1::ComputeStreamResponse response;
  int n = 0;
  while (stream->Read(&response)) {
    if (n >= kMessages) break;
    EXPECT_EQ(response.id(), requests[n].id());
    if (n == kBad) {
      EXPECT_FALSE(response.has_response());
      EXPECT_EQ(response.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_NE(response.error().message().find("no_such_function"),
                std::string::npos)
          << response.error().message();
    } else {
      EXPECT_FALSE(response.has_error()) << response.error().message();
      EXPECT_TRUE(MatchesReference(requests[n], response.response()));
    }
    ++n;
  }
  writer.join();
  EXPECT_EQ(n, kMessages);
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(counters_.Get().requests,
            static_cast<std::uint64_t>(kMessages - 1));
  EXPECT_EQ(counters_.Get().errors, 1u);
}

TEST_P(ServiceTest, StreamInterleavedWritesAndReads) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = stub_->ComputeStream(&context);
  for (int i = 0; i < 10; ++i) {
    const v1::ComputeRequest request = MakeRequest(
        "gelu_tanh", v1::MODE_BACKWARD, kAllWireTypes[i % 4], Grid(-3, 3, 500));
    ASSERT_TRUE(stream->Write(request));
    v1::ComputeStreamResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_TRUE(MatchesReference(request, response.response()));
  }
  ASSERT_TRUE(stream->WritesDone());
  v1::ComputeStreamResponse extra;
  EXPECT_FALSE(stream->Read(&extra));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_P(ServiceTest, EmptyStream) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = stub_->ComputeStream(&context);
  ASSERT_TRUE(stream->WritesDone());
  v1::ComputeStreamResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_P(ServiceTest, ListActivations) {
  v1::ListActivationsResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(
      stub_->ListActivations(&context, v1::ListActivationsRequest(), &response)
          .ok());
  ASSERT_EQ(response.activations_size(),
            static_cast<int>(activations::Catalog().size()));
  for (int i = 0; i < response.activations_size(); ++i) {
    EXPECT_EQ(response.activations(i).name(), activations::Catalog()[i].name);
  }
  EXPECT_EQ(response.simd_target(), activations::SimdTarget());
}

// Shutdown's first two steps (server_builder.cc): after StopReading new
// calls, unary or streams, are refused with UNAVAILABLE before anything is
// read, and WaitForCalls waits for the calls already in flight -- here an
// open stream -- until they are done or the deadline passes.
TEST_P(ServiceTest, DrainRefusesNewCallsAndWaitsForOpenOnes) {
  EXPECT_TRUE(service_->WaitForCalls(absl::Now()));  // none yet
  grpc::ClientContext stream_context;
  SetDeadline(&stream_context);
  auto stream = stub_->ComputeStream(&stream_context);
  const v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {-1, 2});
  v1::ComputeStreamResponse reply;
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&reply));  // the stream has reached the service

  EXPECT_TRUE(service_->StopReading(absl::Now() + absl::Seconds(10)));
  v1::ComputeResponse response;
  EXPECT_TRUE(StatusIs(Compute(request, &response),
                       grpc::StatusCode::UNAVAILABLE, {"shutting down"}));
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    auto refused = stub_->ComputeStream(&context);
    v1::ComputeStreamResponse none;
    EXPECT_FALSE(refused->Read(&none));
    EXPECT_TRUE(StatusIs(refused->Finish(), grpc::StatusCode::UNAVAILABLE,
                         {"shutting down"}));
  }
  // The open stream still holds the drain, and is still served.
  EXPECT_FALSE(service_->WaitForCalls(absl::Now() + absl::Milliseconds(20)));
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_TRUE(MatchesReference(request, reply.response()));
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(service_->WaitForCalls(absl::Now() + absl::Seconds(10)));
}

INSTANTIATE_TEST_SUITE_P(Engines, ServiceTest,
                         ::testing::Values(
                             EngineCase{"Default", activations::Options{}},
                             EngineCase{"Chunked", Chunked()},
                             EngineCase{"DefaultUngated",
                                        activations::Options{}, false},
                             EngineCase{"ChunkedUngated", Chunked(), false}),
                         [](const ::testing::TestParamInfo<EngineCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace actserver
