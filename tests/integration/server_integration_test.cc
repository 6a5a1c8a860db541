// The real server, started by the function actserver's main() uses, on
// 127.0.0.1 with a kernel-chosen port, called over TCP.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "activation/v1/activation.grpc.pb.h"
#include "activations/catalog.h"
#include "server/server_builder.h"
#include "tests/integration/grpc_probes.h"
#include "tests/integration/local_server.h"
#include "tests/integration/slow_link.h"
#include "tests/server/server_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::ApplicableMode;
using ::actserver::testing::CheckHealth;
using ::actserver::testing::ComputeWithDeadline;
using ::actserver::testing::Grid;
using ::actserver::testing::StartLocalServer;
using ::actserver::testing::kAllModes;
using ::actserver::testing::kAllWireTypes;
using ::actserver::testing::ListServices;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MakeTensor;
using ::actserver::testing::MatchesReference;
using ::actserver::testing::MixedBatch;
using ::actserver::testing::ServingStatus;
using ::actserver::testing::SetDeadline;
using ::actserver::testing::StatusIs;
using ::actserver::testing::WireType;

std::shared_ptr<grpc::Channel> Connect(const ActivationServer& server) {
  grpc::ChannelArguments args;
  // Responses can be twice a request (forward and derivative); gRPC's client
  // default of 4 MiB is too small for the large cases here.
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // A connection of its own per channel: by default gRPC shares one between
  // channels with equal arguments, and the concurrency tests want several.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(server.target(),
                                   grpc::InsecureChannelCredentials(), args);
}

// One server for the tests that do not stop or reconfigure it.
class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = StartLocalServer().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    channel_ = Connect(*server_);
    stub_ = v1::ActivationService::NewStub(channel_);
  }

  grpc::Status Compute(const v1::ComputeRequest& request,
                       v1::ComputeResponse* response) {
    return ComputeWithDeadline(*stub_, request, response);
  }

  static ActivationServer* server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
};
ActivationServer* ServerTest::server_ = nullptr;

TEST_F(ServerTest, ComputeEveryEncodingAndShape) {
  const std::vector<std::vector<std::int64_t>> shapes = {
      {}, {120}, {8, 15}, {2, 3, 4, 5}, {1, 120, 1}};
  for (const activations::ActivationSpec& spec : activations::Catalog()) {
    for (v1::Mode mode : kAllModes) {
      for (WireType type : kAllWireTypes) {
        for (const auto& shape : shapes) {
          const std::string name(spec.name);
          if (ApplicableMode(name, mode) != mode) continue;  // softmax's f'
          const v1::ComputeRequest request =
              MakeRequest(name, mode, type, Grid(-7, 7, 120), shape);
          v1::ComputeResponse response;
          ASSERT_TRUE(Compute(request, &response).ok()) << request.id();
          EXPECT_TRUE(MatchesReference(request, response));
        }
      }
    }
  }
}

TEST_F(ServerTest, EmptyTensors) {
  for (WireType type : kAllWireTypes) {
    for (const auto& shape :
         std::vector<std::vector<std::int64_t>>{{}, {0}, {4, 0}}) {
      const v1::ComputeRequest request = MakeRequest(
          "sigmoid", v1::MODE_FORWARD_AND_DERIVATIVE, type, {}, shape);
      v1::ComputeResponse response;
      ASSERT_TRUE(Compute(request, &response).ok());
      EXPECT_TRUE(MatchesReference(request, response));
    }
  }
}

TEST_F(ServerTest, LargeRequestUsesTheParallelPath) {
  // Above the engine's parallel threshold: split across the arena and
  // finished from a compute thread.
  for (WireType type : kAllWireTypes) {
    const v1::ComputeRequest request = MakeRequest(
        "tanh", v1::MODE_FORWARD_AND_DERIVATIVE, type, Grid(-9, 9, 300001));
    v1::ComputeResponse response;
    ASSERT_TRUE(Compute(request, &response).ok());
    EXPECT_TRUE(MatchesReference(request, response));
  }
}

TEST_F(ServerTest, ParametersAndInputKind) {
  v1::ComputeRequest request =
      MakeRequest("softplus", v1::MODE_FORWARD_AND_DERIVATIVE,
                  WireType::kRawFloat32, Grid(-30, 30, 241));
  (*request.mutable_params())["beta"] = 2.5;
  (*request.mutable_params())["threshold"] = 10;
  v1::ComputeResponse response;
  ASSERT_TRUE(Compute(request, &response).ok());
  EXPECT_TRUE(MatchesReference(request, response));

  v1::ComputeRequest from_y = MakeRequest(
      "elu", v1::MODE_BACKWARD, WireType::kFloat64, Grid(-0.9, 3, 50));
  (*from_y.mutable_params())["alpha"] = 1.0;
  from_y.set_input_kind(v1::INPUT_KIND_OUTPUT);
  ASSERT_TRUE(Compute(from_y, &response).ok());
  EXPECT_TRUE(MatchesReference(from_y, response));
}

TEST_F(ServerTest, Batch) {
  const v1::ComputeBatchRequest request = MixedBatch();
  v1::ComputeBatchResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(stub_->ComputeBatch(&context, request, &response).ok());
  ASSERT_EQ(response.items_size(), request.items_size());
  for (int j = 0; j < request.items_size(); ++j) {
    EXPECT_TRUE(MatchesReference(request.items(j), response.items(j)));
  }
}

TEST_F(ServerTest, StreamWithABadMessageInTheMiddleGoesOn) {
  std::vector<v1::ComputeRequest> requests;
  for (int i = 0; i < 40; ++i) {
    const std::string name(
        activations::Catalog()[i % activations::Catalog().size()].name);
    requests.push_back(MakeRequest(
        name, ApplicableMode(name, kAllModes[i % 4]), kAllWireTypes[i % 4],
        Grid(-6, 6, 50 + 2000 * (i % 3))));
    requests.back().set_id(absl::StrCat("s", i));
  }
  requests[17].mutable_input()->add_shape(-4);
  requests[18].clear_grad();
  requests[18].set_mode(v1::MODE_BACKWARD);

  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = stub_->ComputeStream(&context);
  std::thread writer([&] {
    for (const v1::ComputeRequest& request : requests) {
      EXPECT_TRUE(stream->Write(request));
    }
    EXPECT_TRUE(stream->WritesDone());
  });
  std::size_t n = 0;
  v1::ComputeStreamResponse response;
  while (stream->Read(&response) && n < requests.size()) {
    EXPECT_EQ(response.id(), requests[n].id());
    if (n == 17) {
      EXPECT_EQ(response.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(response.error().message(),
                "input.shape[0]: -4 is negative; dimensions must be >= 0");
    } else if (n == 18) {
      EXPECT_EQ(response.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_NE(response.error().message().find("grad: missing"),
                std::string::npos);
    } else {
      EXPECT_FALSE(response.has_error()) << response.error().message();
      EXPECT_TRUE(MatchesReference(requests[n], response.response()));
    }
    ++n;
  }
  writer.join();
  EXPECT_EQ(n, requests.size());
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServerTest, ListActivations) {
  v1::ListActivationsResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(
      stub_->ListActivations(&context, v1::ListActivationsRequest(), &response)
          .ok());
  std::vector<std::string> names;
  for (const v1::ActivationInfo& info : response.activations()) {
    names.push_back(info.name());
    EXPECT_FALSE(info.formula().empty()) << info.name();
    EXPECT_GE(info.max_ulp_error_float32(), 0) << info.name();
    EXPECT_GE(info.max_ulp_error_float64(), 0) << info.name();
  }
  for (const char* name :
       {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "silu",
        "swish", "mish", "gelu", "gelu_tanh"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_EQ(response.simd_target(), activations::SimdTarget());
}

// One invalid request, the code it must fail with, and what the message must
// say (field, value, valid choices).
struct ErrorCase {
  std::string name;
  v1::ComputeRequest request;
  std::vector<std::string> parts;
};

std::vector<ErrorCase> ErrorCases() {
  std::vector<ErrorCase> cases;
  auto base = [](const std::string& function, v1::Mode mode) {
    return MakeRequest(function, mode, WireType::kFloat32, {1, 2, 3});
  };
  {
    ErrorCase c{"unknown function",
                base("sigmoidd", v1::MODE_FORWARD),
                {"function", "\"sigmoidd\"", "sigmoid", "gelu_tanh"}};
    cases.push_back(c);
  }
  {
    ErrorCase c{"unknown parameter",
                base("leaky_relu", v1::MODE_FORWARD),
                {"params", "\"slope\"", "negative_slope"}};
    (*c.request.mutable_params())["slope"] = 0.1;
    cases.push_back(c);
  }
  {
    ErrorCase c{"softplus beta = 0",
                base("softplus", v1::MODE_FORWARD),
                {"beta", "=0", "(0, inf)"}};
    (*c.request.mutable_params())["beta"] = 0;
    cases.push_back(c);
  }
  {
    ErrorCase c{"softplus beta < 0",
                base("softplus", v1::MODE_FORWARD),
                {"beta", "=-2", "(0, inf)"}};
    (*c.request.mutable_params())["beta"] = -2;
    cases.push_back(c);
  }
  {
    ErrorCase c{"input_kind output for gelu",
                base("gelu", v1::MODE_DERIVATIVE),
                {"input_kind", "gelu", "sigmoid"}};
    c.request.set_input_kind(v1::INPUT_KIND_OUTPUT);
    cases.push_back(c);
  }
  {
    ErrorCase c{"missing input",
                base("relu", v1::MODE_FORWARD),
                {"input: missing, set one of float32, float64, raw"}};
    c.request.clear_input();
    cases.push_back(c);
  }
  {
    ErrorCase c{"shape and values differ",
                base("relu", v1::MODE_FORWARD),
                {"input.shape: product 6 of [2, 3] differs from 5 values"}};
    *c.request.mutable_input() =
        MakeTensor(WireType::kRawFloat64, {1, 2, 3, 4, 5}, {2, 3});
    cases.push_back(c);
  }
  {
    ErrorCase c{"negative dimension",
                base("relu", v1::MODE_FORWARD),
                {"input.shape[0]: -3 is negative"}};
    c.request.mutable_input()->add_shape(-3);
    c.request.mutable_input()->add_shape(-1);
    cases.push_back(c);
  }
  {
    ErrorCase c{"raw without dtype",
                base("relu", v1::MODE_FORWARD),
                {"input.raw.dtype: DTYPE_UNSPECIFIED", "DTYPE_FLOAT32"}};
    c.request.mutable_input()->mutable_raw()->set_data(std::string(8, '\0'));
    cases.push_back(c);
  }
  {
    ErrorCase c{"backward without grad",
                base("tanh", v1::MODE_BACKWARD),
                {"grad: missing", "MODE_BACKWARD"}};
    c.request.clear_grad();
    cases.push_back(c);
  }
  {
    ErrorCase c{"grad of another length",
                base("tanh", v1::MODE_BACKWARD),
                {"grad: 2 values, but input has 3"}};
    *c.request.mutable_grad() = MakeTensor(WireType::kFloat32, {1, 2});
    cases.push_back(c);
  }
  {
    ErrorCase c{"grad of another type",
                base("tanh", v1::MODE_BACKWARD),
                {"grad: float64 values, but input is float32"}};
    *c.request.mutable_grad() = MakeTensor(WireType::kFloat64, {1, 2, 3});
    cases.push_back(c);
  }
  {
    ErrorCase c{"grad in forward mode",
                base("tanh", v1::MODE_FORWARD),
                {"grad: set, but only MODE_BACKWARD reads it"}};
    *c.request.mutable_grad() = MakeTensor(WireType::kFloat32, {1, 2, 3});
    cases.push_back(c);
  }
  {
    ErrorCase c{"mode unspecified",
                base("tanh", v1::MODE_UNSPECIFIED),
                {"mode: MODE_UNSPECIFIED is not allowed", "MODE_FORWARD",
                 "MODE_BACKWARD"}};
    cases.push_back(c);
  }
  return cases;
}

TEST_F(ServerTest, EveryErrorCaseInEveryRpc) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(c.name);
    // Compute: the call fails.
    v1::ComputeResponse response;
    const grpc::Status status = Compute(c.request, &response);
    EXPECT_TRUE(StatusIs(status, grpc::StatusCode::INVALID_ARGUMENT, c.parts));

    // ComputeBatch: the same error, its fields prefixed with the item's
    // index.
    v1::ComputeBatchRequest batch;
    *batch.add_items() =
        MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat64, {1});
    *batch.add_items() =
        MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat64, {2});
    *batch.add_items() = c.request;
    v1::ComputeBatchResponse batch_response;
    grpc::ClientContext batch_context;
    SetDeadline(&batch_context);
    const grpc::Status batch_status =
        stub_->ComputeBatch(&batch_context, batch, &batch_response);
    EXPECT_EQ(batch_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(batch_status.error_message().rfind("items[2].", 0), 0u)
        << batch_status.error_message();
    EXPECT_EQ(
        absl::StrReplaceAll(batch_status.error_message(), {{"items[2].", ""}}),
        status.error_message());

    // ComputeStream: an error response, then the stream goes on.
    grpc::ClientContext stream_context;
    SetDeadline(&stream_context);
    auto stream = stub_->ComputeStream(&stream_context);
    const v1::ComputeRequest good =
        MakeRequest("elu", v1::MODE_FORWARD, WireType::kRawFloat32, {-1, 1});
    v1::ComputeStreamResponse reply;
    ASSERT_TRUE(stream->Write(c.request));
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_EQ(reply.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(reply.error().message(), status.error_message());
    EXPECT_FALSE(reply.has_response());
    ASSERT_TRUE(stream->Write(good));
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_TRUE(MatchesReference(good, reply.response()));
    ASSERT_TRUE(stream->WritesDone());
    EXPECT_TRUE(stream->Finish().ok());
  }
}

TEST_F(ServerTest, HealthIsServing) {
  ServingStatus status = ServingStatus::kUnknown;
  ASSERT_TRUE(CheckHealth(channel_, "", &status).ok());
  EXPECT_EQ(status, ServingStatus::kServing);
  ASSERT_TRUE(
      CheckHealth(channel_, "activation.v1.ActivationService", &status).ok());
  EXPECT_EQ(status, ServingStatus::kServing);
  EXPECT_EQ(CheckHealth(channel_, "no.such.Service", &status).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, ReflectionListsTheServices) {
  std::vector<std::string> services;
  ASSERT_TRUE(ListServices(channel_, &services).ok());
  EXPECT_NE(std::find(services.begin(), services.end(),
                      "activation.v1.ActivationService"),
            services.end());
  EXPECT_NE(
      std::find(services.begin(), services.end(), "grpc.health.v1.Health"),
      services.end());
}

TEST_F(ServerTest, ExpiredDeadlineOnABigRequestLeavesTheServerHealthy) {
  // 4 Mi doubles (32 MiB) of an expensive function in both modes: tens of
  // milliseconds of work on this machine, against deadlines of a few.
  const v1::ComputeRequest big =
      MakeRequest("mish", v1::MODE_FORWARD_AND_DERIVATIVE,
                  WireType::kRawFloat64, std::vector<double>(1 << 22, 0.5));
  for (int attempt = 0; attempt < 3; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(2 + 10 * attempt));
    v1::ComputeResponse response;
    const grpc::Status status = stub_->Compute(&context, big, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  ServingStatus health = ServingStatus::kUnknown;
  ASSERT_TRUE(CheckHealth(channel_, "", &health).ok());
  EXPECT_EQ(health, ServingStatus::kServing);
  const v1::ComputeRequest small = MakeRequest(
      "mish", v1::MODE_FORWARD, WireType::kFloat32, Grid(-3, 3, 99));
  v1::ComputeResponse response;
  ASSERT_TRUE(Compute(small, &response).ok());
  EXPECT_TRUE(MatchesReference(small, response));
}

TEST_F(ServerTest, ConcurrentClientsAllGetTheirOwnAnswers) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 40;
  const auto catalog = activations::Catalog();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // A connection per client thread, as separate processes would have.
      auto stub = v1::ActivationService::NewStub(Connect(*server_));
      std::mt19937 rng(1234 + t);
      for (int i = 0; i < kCallsPerThread; ++i) {
        const auto& spec = catalog[rng() % catalog.size()];
        const int size = 1 + static_cast<int>(rng() % 70000);
        const double lo = -8.0 + (rng() % 100) / 50.0;
        v1::ComputeRequest request =
            MakeRequest(std::string(spec.name),
                        ApplicableMode(std::string(spec.name), kAllModes[rng() % 4]),
                        kAllWireTypes[rng() % 4], Grid(lo, lo + 12, size));
        request.set_id(absl::StrCat("t", t, "-", i));
        v1::ComputeResponse response;
        const grpc::Status status =
            ComputeWithDeadline(*stub, request, &response);
        EXPECT_TRUE(status.ok()) << status.error_message();
        const ::testing::AssertionResult match =
            MatchesReference(request, response);
        EXPECT_TRUE(match);
        if (status.ok() && match) ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kCallsPerThread);
}

TEST_F(ServerTest, CancelledCallsLeaveTheServerHealthy) {
  const v1::ComputeRequest big =
      MakeRequest("gelu", v1::MODE_FORWARD_AND_DERIVATIVE,
                  WireType::kRawFloat64, std::vector<double>(1 << 21, 0.25));
  {
    // A stream cancelled by its client with large requests in flight.
    grpc::ClientContext context;
    SetDeadline(&context);
    auto stream = stub_->ComputeStream(&context);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(stream->Write(big));
    context.TryCancel();
    v1::ComputeStreamResponse reply;
    while (stream->Read(&reply)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  {
    // A unary call cancelled while it computes.
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ComputeResponse response;
    std::promise<grpc::Status> done;
    stub_->async()->Compute(&context, &big, &response,
                            [&done](grpc::Status s) { done.set_value(s); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    context.TryCancel();
    const grpc::Status status = done.get_future().get();
    EXPECT_TRUE(status.ok() ||
                status.error_code() == grpc::StatusCode::CANCELLED)
        << status.error_message();
  }
  ServingStatus health = ServingStatus::kUnknown;
  ASSERT_TRUE(CheckHealth(channel_, "", &health).ok());
  EXPECT_EQ(health, ServingStatus::kServing);
  const v1::ComputeRequest small = MakeRequest(
      "relu", v1::MODE_BACKWARD, WireType::kFloat64, Grid(-1, 1, 9));
  v1::ComputeResponse response;
  ASSERT_TRUE(Compute(small, &response).ok());
  EXPECT_TRUE(MatchesReference(small, response));
}

TEST(ServerThreadsTest, OneComputeThreadStillRunsQueuedWork) {
  // An arena of one thread has no worker slot of its own; work handed to it
  // with Enqueue must still run (oneTBB lends it a worker).
  ServerOptions options;
  options.threads = 1;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->threads(), 1);
  auto stub = v1::ActivationService::NewStub(Connect(*server));
  const v1::ComputeRequest request = MakeRequest(
      "sigmoid", v1::MODE_FORWARD, WireType::kFloat32, Grid(-20, 20, 200001));
  v1::ComputeResponse response;
  ASSERT_TRUE(ComputeWithDeadline(*stub, request, &response).ok());
  EXPECT_TRUE(MatchesReference(request, response));
}

// Waits (up to 30 s) until `server` has seen `calls` RPCs begin.
bool WaitForRpcs(ActivationServer& server, int calls) {
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server.counters().Get().rpcs < static_cast<std::uint64_t>(calls) &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return server.counters().Get().rpcs == static_cast<std::uint64_t>(calls);
}

TEST(ServerShutdownTest, DrainingFirstLosesNoCallOfHealthWatchingClients) {
  // Two replicas behind one round_robin channel that watches their health,
  // as a scaled-out deployment's clients do. Replica A drains (NOT_SERVING)
  // and only then shuts down: the clients move to B in between, so not one
  // call fails. Shutting down at once instead lets calls race the news and
  // get CANCELLED by gRPC.
  std::unique_ptr<ActivationServer> a = StartLocalServer();
  std::unique_ptr<ActivationServer> b = StartLocalServer();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(R"({"loadBalancingConfig": [{"round_robin": {}}],)"
                            R"( "healthCheckConfig": {"serviceName": ""}})");
  auto channel = grpc::CreateCustomChannel(
      absl::StrCat("ipv4:", a->target(), ",", b->target()),
      grpc::InsecureChannelCredentials(), args);
  const v1::ComputeRequest request = MakeRequest(
      "sigmoid", v1::MODE_FORWARD, WireType::kRawFloat32, Grid(-5, 5, 1000));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      auto stub = v1::ActivationService::NewStub(channel);
      while (!stop) {
        v1::ComputeResponse response;
        const grpc::Status status =
            ComputeWithDeadline(*stub, request, &response);
        EXPECT_TRUE(status.ok())
            << status.error_code() << " " << status.error_message();
        if (status.ok()) ++ok;
      }
    });
  }
  const auto wait_until = [](const ActivationServer& server) {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (server.counters().Get().requests < 50 &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  wait_until(*a);
  wait_until(*b);
  a->StartDraining();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  a->Shutdown(absl::Seconds(10));
  const std::uint64_t b_before = b->counters().Get().requests;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (b->counters().Get().requests < b_before + 200 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (std::thread& client : clients) client.join();
  EXPECT_GE(a->counters().Get().requests, 50u);
  EXPECT_GE(b->counters().Get().requests, b_before + 200);
  EXPECT_EQ(static_cast<std::uint64_t>(ok.load()),
            a->counters().Get().requests + b->counters().Get().requests);
}

TEST(ServerLimitsTest, OversizedMessageIsResourceExhausted) {
  ServerOptions options;
  options.max_message_bytes = 1 << 20;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  auto channel = Connect(*server);
  auto stub = v1::ActivationService::NewStub(channel);
  // 2 MiB of raw float32, over the 1 MiB limit: refused by gRPC before the
  // service sees it.
  const v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kRawFloat32,
                  std::vector<double>(1 << 19, 1.0));
  v1::ComputeResponse response;
  EXPECT_EQ(ComputeWithDeadline(*stub, request, &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // And the server is still serving.
  ServingStatus health = ServingStatus::kUnknown;
  ASSERT_TRUE(CheckHealth(channel, "", &health).ok());
  EXPECT_EQ(health, ServingStatus::kServing);
}

TEST(ServerLimitsTest, TooManyElementsIsResourceExhausted) {
  ServerOptions options;
  options.max_elements = 1000;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  auto stub = v1::ActivationService::NewStub(Connect(*server));
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ComputeResponse response;
    const grpc::Status status =
        stub->Compute(&context,
                      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32,
                                  std::vector<double>(1001, 1.0)),
                      &response);
    EXPECT_TRUE(StatusIs(status, grpc::StatusCode::RESOURCE_EXHAUSTED,
                         {"1001 values", "limit of 1000", "max_elements"}));
  }
  {
    // Each item is within the limit; their sum is not.
    v1::ComputeBatchRequest batch;
    for (int i = 0; i < 3; ++i) {
      *batch.add_items() =
          MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat64,
                      std::vector<double>(400, 1.0));
    }
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ComputeBatchResponse response;
    EXPECT_TRUE(StatusIs(stub->ComputeBatch(&context, batch, &response),
                         grpc::StatusCode::RESOURCE_EXHAUSTED,
                         {"1200 values in all", "max_elements"}));
  }
  {
    // A stream message over the limit gets its own error; the stream goes on.
    grpc::ClientContext context;
    SetDeadline(&context);
    auto stream = stub->ComputeStream(&context);
    v1::ComputeStreamResponse reply;
    ASSERT_TRUE(
        stream->Write(MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32,
                                  std::vector<double>(1001, 1.0))));
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_EQ(reply.error().code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    const v1::ComputeRequest ok =
        MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {-1, 2});
    ASSERT_TRUE(stream->Write(ok));
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_TRUE(MatchesReference(ok, reply.response()));
    ASSERT_TRUE(stream->WritesDone());
    EXPECT_TRUE(stream->Finish().ok());
  }
}

TEST(ServerShutdownTest, RequestsInFlightFinish) {
  std::unique_ptr<ActivationServer> server = StartLocalServer();
  ASSERT_NE(server, nullptr);
  constexpr int kCalls = 6;
  std::vector<v1::ComputeRequest> requests;
  for (int i = 0; i < kCalls; ++i) {
    requests.push_back(MakeRequest("gelu", v1::MODE_FORWARD_AND_DERIVATIVE,
                                   kAllWireTypes[i % 4], Grid(-6, 6, 1 << 20)));
  }
  std::vector<std::future<grpc::Status>> calls;
  std::vector<v1::ComputeResponse> responses(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      auto stub = v1::ActivationService::NewStub(Connect(*server));
      grpc::ClientContext context;
      SetDeadline(&context, std::chrono::seconds(60));
      return stub->Compute(&context, requests[i], &responses[i]);
    }));
  }
  // Shut down once every call has reached the service.
  ASSERT_TRUE(WaitForRpcs(*server, kCalls));
  server->Shutdown(absl::Seconds(60));
  for (int i = 0; i < kCalls; ++i) {
    const grpc::Status status = calls[i].get();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(MatchesReference(requests[i], responses[i]));
  }
  const ServiceCounters::Snapshot counts = server->counters().Get();
  EXPECT_EQ(counts.requests, static_cast<std::uint64_t>(kCalls));
  EXPECT_EQ(counts.elements, static_cast<std::uint64_t>(kCalls) << 20);

  // After shutdown nothing new is accepted.
  auto stub = v1::ActivationService::NewStub(Connect(*server));
  grpc::ClientContext context;
  SetDeadline(&context, std::chrono::seconds(5));
  v1::ComputeResponse response;
  EXPECT_FALSE(stub->Compute(&context, requests[0], &response).ok());
}

// The same promise for clients at the end of a slow link: when Shutdown
// begins, much of each response is still in the server's send queue, and
// the clients, reading it, keep sending WINDOW_UPDATE frames. A server that
// closes a connection as soon as its last call is done (gRPC after GOAWAY)
// has that close turn into a TCP reset, which drops the queued tail: the
// clients see "Connection reset by peer" (docs/reliability.md, "Shutdown: a
// response's tail and the TCP reset"). Under load on loopback the same
// happens whenever a client falls behind (ServerShutdownTest.
// RequestsInFlightFinish's failures in session 22's full ctest runs).
TEST(ServerShutdownTest, InFlightResponsesSurviveASlowLink) {
  std::unique_ptr<ActivationServer> server = StartLocalServer();
  ASSERT_NE(server, nullptr);
  // 16 MB/s: each 2 MiB response takes ~130 ms to cross, far longer than
  // the server takes to write it.
  ::actserver::testing::SlowLink link(server->port(), 16 << 10);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // The clients' HTTP/2 window, fixed at 256 KiB (no BDP probing, which
  // would grow it): the server can then write a response's tail only once
  // the client has most of it, ~110 ms after the call begins, so Shutdown,
  // called as the calls begin, comes before the tails are written -- the
  // case where gRPC's GOAWAY ping is answered before the last call is done
  // and gRPC closes the connection with the tail still queued.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 256 << 10);
  constexpr int kCalls = 2;
  const v1::ComputeRequest request =
      MakeRequest("gelu", v1::MODE_FORWARD_AND_DERIVATIVE,
                  WireType::kRawFloat32, Grid(-6, 6, 1 << 18));
  std::vector<std::future<grpc::Status>> calls;
  std::vector<v1::ComputeResponse> responses(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      auto stub = v1::ActivationService::NewStub(grpc::CreateCustomChannel(
          link.target(), grpc::InsecureChannelCredentials(), args));
      grpc::ClientContext context;
      SetDeadline(&context, std::chrono::seconds(60));
      return stub->Compute(&context, request, &responses[i]);
    }));
  }
  ASSERT_TRUE(WaitForRpcs(*server, kCalls));
  server->Shutdown(absl::Seconds(60));
  for (int i = 0; i < kCalls; ++i) {
    const grpc::Status status = calls[i].get();
    EXPECT_TRUE(status.ok()) << "call " << i << ": " << status.error_code()
                             << " " << status.error_message();
    if (status.ok()) {
      EXPECT_TRUE(MatchesReference(request, responses[i]));
    }
  }
  // The responses crossed the link (they were not answered before it).
  EXPECT_GE(link.bytes_to_clients(), kCalls * (2LL << 20))
      << link.server_resets() << " connection(s) reset by the server";
  EXPECT_EQ(server->counters().Get().requests,
            static_cast<std::uint64_t>(kCalls));
}

TEST(ServerShutdownTest, ZeroGraceCancelsWorkAndReturns) {
  std::unique_ptr<ActivationServer> server = StartLocalServer();
  ASSERT_NE(server, nullptr);
  const v1::ComputeRequest big =
      MakeRequest("mish", v1::MODE_FORWARD_AND_DERIVATIVE,
                  WireType::kRawFloat64, std::vector<double>(1 << 22, 0.5));
  auto call = std::async(std::launch::async, [&] {
    auto stub = v1::ActivationService::NewStub(Connect(*server));
    grpc::ClientContext context;
    SetDeadline(&context, std::chrono::seconds(60));
    v1::ComputeResponse response;
    return stub->Compute(&context, big, &response);
  });
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server->counters().Get().rpcs < 1 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto start = std::chrono::steady_clock::now();
  server->Shutdown(absl::ZeroDuration());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  // Finished or cancelled, but answered either way.
  const grpc::Status status = call.get();
  EXPECT_TRUE(status.ok() ||
              status.error_code() == grpc::StatusCode::CANCELLED ||
              status.error_code() == grpc::StatusCode::UNAVAILABLE)
      << status.error_code() << " " << status.error_message();
}

TEST(ServerStartTest, BadOptionsAndBusyPort) {
  ServerOptions options;
  options.port = 70000;
  EXPECT_EQ(ActivationServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.port = 0;
  options.threads = -1;
  EXPECT_EQ(ActivationServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);

  std::unique_ptr<ActivationServer> first = StartLocalServer();
  ASSERT_NE(first, nullptr);
  ServerOptions same;
  same.address = "127.0.0.1";
  same.port = first->port();
  same.threads = 1;
  absl::StatusOr<std::unique_ptr<ActivationServer>> second =
      ActivationServer::Start(same);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace actserver
