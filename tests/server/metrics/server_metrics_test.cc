#include "server/metrics/server_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace actserver::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kOk = 0;
constexpr int kInvalidArgument = 3;

ServerMetrics::LabelValues TestLabels() {
  return {{"sigmoid", "tanh"}, {"forward", "backward"}, {"float32", "float64"}};
}

std::string Render(const ServerMetrics& m) {
  TextFormatWriter w;
  m.Render(w);
  return w.Take();
}

TEST(ServerMetricsTest, RequestsAreCountedByEveryLabel) {
  ServerMetrics m(TestLabels());
  const RequestLabels tanh_backward_f64{2, 2, 2};
  m.RequestDone(Rpc::kCompute, tanh_backward_f64, kOk, 1000);
  m.RequestDone(Rpc::kCompute, tanh_backward_f64, kOk, 24);
  m.RequestDone(Rpc::kComputeBatch, {1, 1, 1}, kInvalidArgument, 0);
  EXPECT_EQ(m.RequestsTotal(Rpc::kCompute, tanh_backward_f64, kOk), 2u);
  const std::string text = Render(m);
  EXPECT_THAT(text, HasSubstr("actsvc_requests_total{rpc=\"Compute\","
                              "function=\"tanh\",mode=\"backward\","
                              "dtype=\"float64\",code=\"OK\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_requests_total{rpc=\"ComputeBatch\","
                              "function=\"sigmoid\",mode=\"forward\","
                              "dtype=\"float32\",code=\"INVALID_ARGUMENT\"} "
                              "1\n"));
  // Only what succeeded counts towards elements and sizes.
  EXPECT_THAT(text, HasSubstr("actsvc_elements_total{function=\"tanh\","
                              "dtype=\"float64\"} 1024\n"));
  EXPECT_THAT(text, Not(HasSubstr("actsvc_elements_total{function=\"sigmoid\"")));
  EXPECT_THAT(text, HasSubstr("actsvc_request_elements_bucket{rpc=\"Compute\","
                              "le=\"16\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_elements_bucket{rpc=\"Compute\","
                              "le=\"64\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_elements_bucket{rpc=\"Compute\","
                              "le=\"1024\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_elements_count{rpc=\"Compute\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_elements_sum{rpc=\"Compute\"} 1024\n"));
}

TEST(ServerMetricsTest, UnknownAndOutOfRangeLabelsFallIntoUnknown) {
  ServerMetrics m(TestLabels());
  m.RequestDone(Rpc::kCompute, {0, 99, -1}, 42, 0);  // code 42 -> UNKNOWN
  EXPECT_THAT(Render(m),
              HasSubstr("actsvc_requests_total{rpc=\"Compute\","
                        "function=\"unknown\",mode=\"unknown\","
                        "dtype=\"unknown\",code=\"UNKNOWN\"} 1\n"));
}

TEST(ServerMetricsTest, RpcsInFlightAndStreams) {
  ServerMetrics m(TestLabels());
  m.RpcStarted(Rpc::kCompute);
  m.RpcStarted(Rpc::kComputeStream);
  m.RpcStarted(Rpc::kComputeStream);
  EXPECT_EQ(m.InFlight(Rpc::kComputeStream), 2);
  m.RpcFinished(Rpc::kComputeStream, kOk);
  m.StreamMessageReceived();
  m.StreamMessageSent();
  m.StreamMessageSent();
  const std::string text = Render(m);
  EXPECT_THAT(text, HasSubstr("actsvc_rpcs_in_flight{rpc=\"Compute\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("actsvc_rpcs_in_flight{rpc=\"ComputeStream\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_rpcs_in_flight{rpc=\"ComputeBatch\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_rpcs_total{rpc=\"ComputeStream\","
                              "code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_streams_started_total 2\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_stream_messages_received_total 1\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_stream_messages_sent_total 2\n"));
}

TEST(ServerMetricsTest, LatencyInSecondsWithFixedBuckets) {
  ServerMetrics m(TestLabels());
  m.ObserveLatency(Rpc::kCompute, absl::Microseconds(30));
  m.ObserveLatency(Rpc::kCompute, absl::Milliseconds(3));
  m.ObserveLatency(Rpc::kCompute, absl::Seconds(11));
  const std::string text = Render(m);
  EXPECT_THAT(text, HasSubstr("actsvc_request_duration_seconds_bucket{rpc="
                              "\"Compute\",le=\"5e-05\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_duration_seconds_bucket{rpc="
                              "\"Compute\",le=\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_duration_seconds_bucket{rpc="
                              "\"Compute\",le=\"0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_duration_seconds_bucket{rpc="
                              "\"Compute\",le=\"10\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_duration_seconds_bucket{rpc="
                              "\"Compute\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_request_duration_seconds_sum{rpc="
                              "\"Compute\"} 11.00303\n"));
  EXPECT_EQ(m.Latency(Rpc::kCompute).count, 3u);
  EXPECT_EQ(LatencyBucketsNs().front(), 50'000u);
  EXPECT_EQ(LatencyBucketsNs().back(), 10'000'000'000u);
}

TEST(ServerMetricsTest, BytesQueueAndRefusalsAllExportedFromTheStart) {
  ServerMetrics m(TestLabels());
  std::string text = Render(m);
  for (const char* reason :
       {"memory_budget", "queue_full", "deadline_expired"}) {
    EXPECT_THAT(text, HasSubstr(std::string("actsvc_requests_refused_total{"
                                            "reason=\"") +
                                reason + "\"} 0\n"));
  }
  EXPECT_THAT(text, HasSubstr("actsvc_compute_queue_depth 0\n"));
  m.Refused(RefusalReason::kMemoryBudget);
  std::uint64_t queue_refusals = 5;
  m.SetRefusedSource(RefusalReason::kQueueFull,
                     [&queue_refusals] { return queue_refusals; });
  m.QueueDepthAdd(3);
  m.QueueDepthAdd(-1);
  m.AddBytes(Rpc::kComputeBatch, 100, 250);
  text = Render(m);
  EXPECT_THAT(text, HasSubstr("actsvc_requests_refused_total{reason="
                              "\"memory_budget\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_compute_queue_depth 2\n"));
  // A source's count is read at each scrape, added to what was recorded.
  EXPECT_THAT(text, HasSubstr("actsvc_requests_refused_total{reason="
                              "\"queue_full\"} 5\n"));
  m.Refused(RefusalReason::kQueueFull);
  queue_refusals = 7;
  EXPECT_THAT(Render(m), HasSubstr("actsvc_requests_refused_total{reason="
                                   "\"queue_full\"} 8\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_received_bytes_total{rpc="
                              "\"ComputeBatch\"} 100\n"));
  EXPECT_THAT(text, HasSubstr("actsvc_sent_bytes_total{rpc=\"ComputeBatch\"} "
                              "250\n"));
}

TEST(ServerMetricsTest, CallbacksAreReadAtEachRender) {
  ServerMetrics m(TestLabels());
  double level = 5;
  m.RegisterCallback("actsvc_budget_bytes_in_use", MetricType::kGauge,
                     "Bytes of the memory budget in use.",
                     [&level] { return level; });
  EXPECT_THAT(Render(m), HasSubstr("# TYPE actsvc_budget_bytes_in_use gauge\n"
                                   "actsvc_budget_bytes_in_use 5\n"));
  level = 7.5;
  EXPECT_THAT(Render(m), HasSubstr("actsvc_budget_bytes_in_use 7.5\n"));
  // Registering the name again replaces the callback.
  m.RegisterCallback("actsvc_budget_bytes_in_use", MetricType::kGauge,
                     "Bytes of the memory budget in use.", [] { return 1.0; });
  const std::string text = Render(m);
  EXPECT_THAT(text, HasSubstr("actsvc_budget_bytes_in_use 1\n"));
  EXPECT_EQ(text.find("# TYPE actsvc_budget_bytes_in_use"),
            text.rfind("# TYPE actsvc_budget_bytes_in_use"));
}

TEST(ServerMetricsTest, ConcurrentRecordingLosesNothing) {
  ServerMetrics m(TestLabels());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < kPerThread; ++i) {
        m.RpcStarted(Rpc::kCompute);
        m.RequestDone(Rpc::kCompute, {1, 1, 1}, kOk, 8);
        m.ObserveLatency(Rpc::kCompute, absl::Microseconds(100));
        m.RpcFinished(Rpc::kCompute, kOk);
      }
    });
  }
  // Scrapes while recording must not disturb it.
  for (int i = 0; i < 20; ++i) Render(m);
  for (std::thread& t : threads) t.join();
  constexpr std::uint64_t kTotal = std::uint64_t{kThreads} * kPerThread;
  EXPECT_EQ(m.RpcsTotal(Rpc::kCompute, kOk), kTotal);
  EXPECT_EQ(m.RequestsTotal(Rpc::kCompute, {1, 1, 1}, kOk), kTotal);
  EXPECT_EQ(m.InFlight(Rpc::kCompute), 0);
  EXPECT_EQ(m.Latency(Rpc::kCompute).count, kTotal);
  EXPECT_THAT(Render(m), HasSubstr("actsvc_elements_total{function=\"sigmoid\","
                                   "dtype=\"float32\"} " +
                                   std::to_string(kTotal * 8) + "\n"));
}

}  // namespace
}  // namespace actserver::metrics
