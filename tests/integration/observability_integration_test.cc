// The observability of a real server, as its users see it: an
// ActivationServer (the function main.cc uses) on loopback with the /metrics
// endpoint, the access log and channelz on; every RPC over TCP; the metrics
// read back over HTTP with actctl's scraper and parser; the access log read
// back line by line; channelz asked over gRPC.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "activation/v1/activation.grpc.pb.h"
#include "client/metrics_scrape.h"
#include "server/server_builder.h"
#include "tests/integration/grpc_probes.h"
#include "tests/integration/local_server.h"
#include "tests/server/server_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::activation::client::FetchMetrics;
using ::activation::client::MetricSample;
using ::activation::client::ParseMetricsText;
using ::actserver::testing::Grid;
using ::actserver::testing::ListServices;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::SetDeadline;
using ::actserver::testing::StartLocalServer;
using ::actserver::testing::WireType;

constexpr char kChannelz[] = "grpc.channelz.v1.Channelz";

// The value of the one sample named `name` with exactly `labels`; -1 if
// there is none.
double Value(const std::vector<MetricSample>& samples, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  for (const MetricSample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return -1;
}

class ObservabilityTest : public ::testing::Test {
 protected:
  void Start(bool channelz) {
    log_path_ = ::testing::TempDir() + "/observability_test_access.jsonl";
    std::remove(log_path_.c_str());
    ServerOptions options;
    options.threads = 2;
    options.metrics_address = "127.0.0.1:0";
    options.access_log = log_path_;
    options.channelz = channelz;
    server_ = StartLocalServer(options);
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(server_->metrics_port(), 0);
    channel_ = grpc::CreateChannel(server_->target(),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::ActivationService::NewStub(channel_);
  }

  std::vector<MetricSample> Scrape() {
    absl::StatusOr<std::string> text = FetchMetrics(
        "127.0.0.1:" + std::to_string(server_->metrics_port()),
        absl::Seconds(10));
    EXPECT_TRUE(text.ok()) << text.status();
    if (!text.ok()) return {};
    absl::StatusOr<std::vector<MetricSample>> samples = ParseMetricsText(*text);
    EXPECT_TRUE(samples.ok()) << samples.status();
    return samples.ok() ? *samples : std::vector<MetricSample>{};
  }

  // Scrapes until no RPC is in flight: the server records a call's end just
  // before gRPC delivers it, and a stream's after its last write.
  std::vector<MetricSample> ScrapeWhenIdle() {
    std::vector<MetricSample> samples;
    for (int i = 0; i < 100; ++i) {
      samples = Scrape();
      double in_flight = 0;
      for (const MetricSample& s : samples) {
        if (s.name == "actsvc_rpcs_in_flight") in_flight += s.value;
      }
      if (in_flight == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return samples;
  }

  std::vector<std::string> AccessLogLines() {
    std::ifstream file(log_path_);
    std::string text((std::istreambuf_iterator<char>(file)), {});
    return absl::StrSplit(text, '\n', absl::SkipEmpty());
  }

  std::string log_path_;
  std::unique_ptr<ActivationServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
};

TEST_F(ObservabilityTest, EveryRpcShowsInTheMetricsAndTheAccessLog) {
  ASSERT_NO_FATAL_FAILURE(Start(/*channelz=*/false));
  const std::vector<double> x = Grid(-4, 4, 100);

  std::uint64_t compute_bytes = 0;
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    SetDeadline(&context);
    context.AddMetadata("x-request-id", "trace-" + std::to_string(i));
    v1::ComputeRequest request =
        MakeRequest("tanh", v1::MODE_BACKWARD, WireType::kRawFloat64, x);
    request.mutable_grad()->CopyFrom(request.input());
    compute_bytes += request.ByteSizeLong();
    v1::ComputeResponse response;
    ASSERT_TRUE(stub_->Compute(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ComputeRequest request =
        MakeRequest("sigmod", v1::MODE_FORWARD, WireType::kFloat32, x);
    request.set_id("typo");
    compute_bytes += request.ByteSizeLong();
    v1::ComputeResponse response;
    EXPECT_EQ(stub_->Compute(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ComputeBatchRequest batch;
    *batch.add_items() = MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, x);
    *batch.add_items() = MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32,
                                     Grid(-1, 1, 28));
    v1::ComputeBatchResponse response;
    ASSERT_TRUE(stub_->ComputeBatch(&context, batch, &response).ok());
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    auto stream = stub_->ComputeStream(&context);
    for (const char* function : {"gelu", "gelu", "nope"}) {
      ASSERT_TRUE(stream->Write(
          MakeRequest(function, v1::MODE_DERIVATIVE, WireType::kRawFloat32, x)));
    }
    stream->WritesDone();
    v1::ComputeStreamResponse response;
    int responses = 0;
    while (stream->Read(&response)) ++responses;
    EXPECT_EQ(responses, 3);
    ASSERT_TRUE(stream->Finish().ok());
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListActivationsResponse response;
    ASSERT_TRUE(stub_->ListActivations(&context, {}, &response).ok());
  }

  const std::vector<MetricSample> m = ScrapeWhenIdle();
  EXPECT_EQ(Value(m, "actsvc_rpcs_total", {{"rpc", "Compute"}, {"code", "OK"}}), 3);
  EXPECT_EQ(Value(m, "actsvc_rpcs_total",
                  {{"rpc", "Compute"}, {"code", "INVALID_ARGUMENT"}}), 1);
  EXPECT_EQ(Value(m, "actsvc_rpcs_total", {{"rpc", "ComputeBatch"}, {"code", "OK"}}), 1);
  EXPECT_EQ(Value(m, "actsvc_rpcs_total", {{"rpc", "ComputeStream"}, {"code", "OK"}}), 1);
  EXPECT_EQ(Value(m, "actsvc_rpcs_total",
                  {{"rpc", "ListActivations"}, {"code", "OK"}}), 1);
  EXPECT_EQ(Value(m, "actsvc_requests_total",
                  {{"rpc", "Compute"}, {"function", "tanh"}, {"mode", "backward"},
                   {"dtype", "float64"}, {"code", "OK"}}), 3);
  // The misspelt function is counted, under "unknown" (a request that does
  // not decode has no labels): a client cannot make new series.
  EXPECT_EQ(Value(m, "actsvc_requests_total",
                  {{"rpc", "Compute"}, {"function", "unknown"}, {"mode", "unknown"},
                   {"dtype", "unknown"}, {"code", "INVALID_ARGUMENT"}}), 1);
  EXPECT_EQ(Value(m, "actsvc_requests_total",
                  {{"rpc", "ComputeBatch"}, {"function", "relu"}, {"mode", "forward"},
                   {"dtype", "float32"}, {"code", "OK"}}), 2);
  EXPECT_EQ(Value(m, "actsvc_requests_total",
                  {{"rpc", "ComputeStream"}, {"function", "gelu"},
                   {"mode", "derivative"}, {"dtype", "float32"}, {"code", "OK"}}), 2);
  EXPECT_EQ(Value(m, "actsvc_requests_total",
                  {{"rpc", "ComputeStream"}, {"function", "unknown"},
                   {"mode", "unknown"}, {"dtype", "unknown"},
                   {"code", "INVALID_ARGUMENT"}}), 1);
  EXPECT_EQ(Value(m, "actsvc_elements_total", {{"function", "tanh"}, {"dtype", "float64"}}),
            300);
  EXPECT_EQ(Value(m, "actsvc_elements_total", {{"function", "relu"}, {"dtype", "float32"}}),
            128);
  EXPECT_EQ(Value(m, "actsvc_request_elements_count", {{"rpc", "ComputeBatch"}}), 2);
  EXPECT_EQ(Value(m, "actsvc_request_elements_bucket",
                  {{"rpc", "ComputeBatch"}, {"le", "64"}}), 1);  // the 28
  EXPECT_EQ(Value(m, "actsvc_request_duration_seconds_count", {{"rpc", "Compute"}}), 4);
  EXPECT_EQ(Value(m, "actsvc_request_duration_seconds_count", {{"rpc", "ComputeStream"}}),
            3);
  EXPECT_EQ(Value(m, "actsvc_received_bytes_total", {{"rpc", "Compute"}}),
            static_cast<double>(compute_bytes));
  EXPECT_GT(Value(m, "actsvc_sent_bytes_total", {{"rpc", "Compute"}}), 3 * 100 * 8);
  EXPECT_EQ(Value(m, "actsvc_streams_started_total"), 1);
  EXPECT_EQ(Value(m, "actsvc_stream_messages_received_total"), 3);
  EXPECT_EQ(Value(m, "actsvc_stream_messages_sent_total"), 3);
  EXPECT_EQ(Value(m, "actsvc_compute_queue_depth"), 0);
  EXPECT_GT(Value(m, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Value(m, "process_threads"), 1);

  // One line per unary call and per stream message: 4 + 1 + 3 + 1.
  const std::vector<std::string> lines = AccessLogLines();
  ASSERT_EQ(lines.size(), 9u);
  int traced = 0;
  for (const std::string& line : lines) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"time\":\"")) << line;
    EXPECT_TRUE(absl::EndsWith(line, "\"}")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"peer\":\"ipv4:127.0.0.1:")) << line;
    if (absl::StrContains(line, "\"request_id\":\"trace-")) ++traced;
  }
  EXPECT_EQ(traced, 3);
  EXPECT_TRUE(absl::StrContains(
      lines[3], "\"function\":\"unknown\",\"mode\":\"unknown\",\"dtype\":"
                "\"unknown\",\"items\":1,\"elements\":0,\"code\":"
                "\"INVALID_ARGUMENT\""))
      << lines[3];
  EXPECT_TRUE(absl::StrContains(lines[3], "\"request_id\":\"typo\"")) << lines[3];
  EXPECT_TRUE(absl::StrContains(lines[4], "\"rpc\":\"ComputeBatch\",\"function\":"
                                          "\"relu\",\"mode\":\"forward\",\"dtype\":"
                                          "\"float32\",\"items\":2,\"elements\":128"))
      << lines[4];
}

TEST_F(ObservabilityTest, ChannelzIsOffByDefault) {
  ASSERT_NO_FATAL_FAILURE(Start(/*channelz=*/false));
  std::vector<std::string> services;
  ASSERT_TRUE(ListServices(channel_, &services).ok());
  EXPECT_EQ(std::count(services.begin(), services.end(), kChannelz), 0);
}

TEST_F(ObservabilityTest, ChannelzAnswersWhenOn) {
  ASSERT_NO_FATAL_FAILURE(Start(/*channelz=*/true));
  std::vector<std::string> services;
  ASSERT_TRUE(ListServices(channel_, &services).ok());
  EXPECT_EQ(std::count(services.begin(), services.end(), kChannelz), 1);
  // GetServers with an empty GetServersRequest: the reply lists this server
  // (a non-empty message).
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::ByteBuffer reply;
  grpc::Status status;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  // The empty message is one empty slice (a ByteBuffer without slices is
  // "no message" to gRPC).
  grpc::Slice nothing("");
  const grpc::ByteBuffer empty(&nothing, 1);
  generic.UnaryCall(&context, "/grpc.channelz.v1.Channelz/GetServers",
                    grpc::StubOptions(), &empty, &reply,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = std::move(s);
                      done = true;
                      done_cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  done_cv.wait(lock, [&] { return done; });
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(reply.Length(), 0u);
}

TEST_F(ObservabilityTest, MetricsEndpointIsOffWithoutAnAddress) {
  std::unique_ptr<ActivationServer> server = StartLocalServer();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->metrics_port(), 0);
}

TEST_F(ObservabilityTest, BadMetricsAddressOrLogPathFailsStart) {
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.metrics_address = "nonsense";
  EXPECT_EQ(ActivationServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.metrics_address = "";
  options.access_log = "/nonexistent-dir/access.log";
  EXPECT_EQ(ActivationServer::Start(options).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace actserver
