#include "server/metrics/call_recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace actserver::metrics {
namespace {

using ::testing::HasSubstr;

ServerMetrics::LabelValues TestLabels() {
  return {{"sigmoid", "tanh"}, {"forward", "backward"}, {"float32", "float64"}};
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(CallRecorderTest, UnaryCallRecordsEverythingAtFinish) {
  ServerMetrics metrics(TestLabels());
  grpc::CallbackServerContext context;  // not attached to a call: no peer
  {
    CallRecorder call({&metrics, nullptr}, Rpc::kComputeBatch, &context, 300);
    EXPECT_EQ(metrics.InFlight(Rpc::kComputeBatch), 1);
    call.AddRequest({1, 1, 1}, 10);
    call.AddRequest({2, 2, 2}, 20);
    call.Finish(absl::OkStatus(), 500);
  }
  EXPECT_EQ(metrics.InFlight(Rpc::kComputeBatch), 0);
  EXPECT_EQ(metrics.RpcsTotal(Rpc::kComputeBatch, 0), 1u);
  EXPECT_EQ(metrics.RequestsTotal(Rpc::kComputeBatch, {1, 1, 1}, 0), 1u);
  EXPECT_EQ(metrics.RequestsTotal(Rpc::kComputeBatch, {2, 2, 2}, 0), 1u);
  EXPECT_EQ(metrics.Latency(Rpc::kComputeBatch).count, 1u);
  TextFormatWriter w;
  metrics.Render(w);
  const std::string text = w.Take();
  EXPECT_THAT(text, HasSubstr("actsvc_received_bytes_total{rpc=\"ComputeBatch\"} 300\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_sent_bytes_total{rpc=\"ComputeBatch\"} 500\n"));
}

TEST(CallRecorderTest, FailedCallCountsItsCodeForEveryItem) {
  ServerMetrics metrics(TestLabels());
  grpc::CallbackServerContext context;
  CallRecorder call({&metrics, nullptr}, Rpc::kCompute, &context, 100);
  call.AddRequest({1, 2, 1}, 0);
  call.Finish(absl::InvalidArgumentError("mode"), 0);
  EXPECT_EQ(metrics.RpcsTotal(Rpc::kCompute, 3), 1u);
  EXPECT_EQ(metrics.RequestsTotal(Rpc::kCompute, {1, 2, 1}, 3), 1u);
}

TEST(CallRecorderTest, StreamRecordsEachMessageAndTheEnd) {
  ServerMetrics metrics(TestLabels());
  grpc::CallbackServerContext context;
  CallRecorder call({&metrics, nullptr}, Rpc::kComputeStream, &context);
  EXPECT_EQ(metrics.InFlight(Rpc::kComputeStream), 1);
  call.MessageDone({1, 1, 1}, 8, absl::OkStatus(), absl::Now(), 40, 50, "a");
  call.MessageDone({1, 1, 1}, 0, absl::InvalidArgumentError("x"), absl::Now(),
                   40, 60, "b");
  EXPECT_EQ(metrics.Latency(Rpc::kComputeStream).count, 2u);
  EXPECT_EQ(metrics.RpcsTotal(Rpc::kComputeStream, 0), 0u);
  call.FinishStream(absl::OkStatus());
  EXPECT_EQ(metrics.InFlight(Rpc::kComputeStream), 0);
  EXPECT_EQ(metrics.RpcsTotal(Rpc::kComputeStream, 0), 1u);
  EXPECT_EQ(metrics.RequestsTotal(Rpc::kComputeStream, {1, 1, 1}, 0), 1u);
  EXPECT_EQ(metrics.RequestsTotal(Rpc::kComputeStream, {1, 1, 1}, 3), 1u);
}

TEST(CallRecorderTest, AccessLogGetsOneLinePerCallOrMessage) {
  const std::string path = ::testing::TempDir() + "/call_recorder_test.jsonl";
  std::remove(path.c_str());
  ServerMetrics metrics(TestLabels());
  absl::StatusOr<std::unique_ptr<AccessLog>> log = AccessLog::Open(path);
  ASSERT_TRUE(log.ok());
  grpc::CallbackServerContext context;
  {
    CallRecorder call({&metrics, log->get()}, Rpc::kCompute, &context, 10,
                      "req-1");
    call.AddRequest({2, 1, 2}, 64);
    call.Finish(absl::OkStatus(), 20);
  }
  {
    CallRecorder batch({&metrics, log->get()}, Rpc::kComputeBatch, &context);
    batch.AddRequest({1, 1, 1}, 5);
    batch.AddRequest({2, 1, 1}, 6);
    batch.Finish(absl::DeadlineExceededError("late"), 0);
  }
  {
    CallRecorder stream({&metrics, log->get()}, Rpc::kComputeStream, &context);
    stream.MessageDone({1, 2, 2}, 3, absl::OkStatus(), absl::Now(), 1, 1,
                       "m-9");
    stream.FinishStream(absl::OkStatus());
  }
  const std::string text = ReadFile(path);
  EXPECT_THAT(text, HasSubstr("\"rpc\":\"Compute\",\"function\":\"tanh\","
                              "\"mode\":\"forward\",\"dtype\":\"float64\","
                              "\"items\":1,\"elements\":64,\"code\":\"OK\","));
  EXPECT_THAT(text, HasSubstr("\"request_id\":\"req-1\"}\n"));
  EXPECT_THAT(text, HasSubstr("\"rpc\":\"ComputeBatch\",\"function\":\"mixed\","
                              "\"mode\":\"forward\",\"dtype\":\"float32\","
                              "\"items\":2,\"elements\":11,"
                              "\"code\":\"DEADLINE_EXCEEDED\","));
  EXPECT_THAT(text, HasSubstr("\"rpc\":\"ComputeStream\",\"function\":\"sigmoid\","
                              "\"mode\":\"backward\",\"dtype\":\"float64\","
                              "\"items\":1,\"elements\":3,\"code\":\"OK\","));
  EXPECT_THAT(text, HasSubstr("\"request_id\":\"m-9\"}\n"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

}  // namespace
}  // namespace actserver::metrics
