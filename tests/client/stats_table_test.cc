#include "client/stats_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace activation::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HistogramQuantileTest, InterpolatesAsPrometheusDoes) {
  BucketCounts h;
  h.upper_bounds = {1, 2, 4};
  h.cumulative = {10, 30, 40};
  h.count = 40;
  // rank 20 lies halfway through the (1, 2] bucket's 20.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, h), 1.5);
  // rank 4 in the first bucket, interpolated from 0.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.1, h), 0.4);
  EXPECT_DOUBLE_EQ(HistogramQuantile(1.0, h), 4);
  h.count = 50;  // ten observations above the last finite bound
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.99, h), 4);
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, BucketCounts{})));
}

TEST(FormatSecondsTest, PicksAUnit) {
  EXPECT_EQ(FormatSeconds(38e-6), "38us");
  EXPECT_EQ(FormatSeconds(1.25e-3), "1.25ms");
  EXPECT_EQ(FormatSeconds(2.5), "2.5s");
  EXPECT_EQ(FormatSeconds(std::nan("")), "-");
}

std::vector<MetricSample> Scrape(double compute_ok, double errors,
                                 double bucket_low, double bucket_high) {
  using L = std::map<std::string, std::string>;
  return {
      {"actsvc_build_info",
       L{{"version", "0.1.0"}, {"simd_target", "AVX2"}, {"grpc_version", "1.51.1"}},
       1},
      {"actsvc_rpcs_total", L{{"rpc", "Compute"}, {"code", "OK"}}, compute_ok},
      {"actsvc_rpcs_total", L{{"rpc", "Compute"}, {"code", "INVALID_ARGUMENT"}},
       errors},
      {"actsvc_rpcs_in_flight", L{{"rpc", "Compute"}}, 2},
      {"actsvc_requests_total",
       L{{"rpc", "Compute"}, {"function", "tanh"}, {"mode", "forward"},
         {"dtype", "float32"}, {"code", "OK"}},
       compute_ok},
      {"actsvc_elements_total", L{{"function", "tanh"}, {"dtype", "float32"}},
       compute_ok * 1000},
      {"actsvc_request_duration_seconds_bucket",
       L{{"rpc", "Compute"}, {"le", "5e-05"}}, bucket_low},
      {"actsvc_request_duration_seconds_bucket",
       L{{"rpc", "Compute"}, {"le", "0.0001"}}, bucket_low + bucket_high},
      {"actsvc_request_duration_seconds_bucket",
       L{{"rpc", "Compute"}, {"le", "+Inf"}}, bucket_low + bucket_high},
      {"actsvc_request_duration_seconds_sum", L{{"rpc", "Compute"}},
       (bucket_low + bucket_high) * 60e-6},
      {"actsvc_requests_refused_total", L{{"reason", "queue_full"}}, 4},
      {"actsvc_compute_queue_depth", {}, 3},
  };
}

TEST(FormatStatsTest, TotalsFromOneScrape) {
  const std::string text =
      FormatStats("host:9464", Scrape(1000, 5, 500, 505), nullptr, {});
  EXPECT_THAT(text, HasSubstr("actserver 0.1.0 at host:9464 (SIMD AVX2, gRPC 1.51.1)"));
  EXPECT_THAT(text, HasSubstr("Totals since the server started."));
  // calls = all codes; errors = not OK; in flight; quantiles interpolated in
  // (50us, 100us]; mean = sum / count.
  EXPECT_THAT(text, HasSubstr("Compute           1005       5          2  50us  90us  99us  60us"));
  EXPECT_THAT(text, HasSubstr("tanh      float32      1000       0   1000000"));
  EXPECT_THAT(text, HasSubstr("compute queue depth 3; refused: memory_budget 0, "
                              "queue_full 4, deadline_expired 0"));
}

TEST(FormatStatsTest, RatesFromTwoScrapes) {
  const std::vector<MetricSample> before = Scrape(1000, 5, 500, 505);
  const std::vector<MetricSample> now = Scrape(3000, 5, 2500, 505);
  const std::string text =
      FormatStats("host:9464", now, &before, absl::Seconds(2));
  EXPECT_THAT(text, HasSubstr("Rates per second over the last 2s"));
  EXPECT_THAT(text, HasSubstr("Compute             1000         0          2  <=50us  <=50us  <=50us"));
  // Over the interval every new observation was <= 50us: no invented figure.
  EXPECT_THAT(text, Not(HasSubstr("Totals")));
}

}  // namespace
}  // namespace activation::client
