// LatencyHistogram: percentiles against the exact nearest-rank percentiles of
// known synthetic data, within the promised 1% relative error.
#include "client/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace activation::client {
namespace {

constexpr double kPromised = 0.01;  // what actload's documentation states

// Nearest-rank percentile of sorted data: the smallest value with at least
// ceil(q * n) values at or below it.
double Exact(const std::vector<int64_t>& sorted, double q) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * n)));
  return static_cast<double>(sorted[rank - 1]);
}

void ExpectPercentilesMatch(std::vector<int64_t> values) {
  LatencyHistogram h;
  for (int64_t v : values) h.Record(v);
  std::sort(values.begin(), values.end());
  for (double q : {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999}) {
    const double want = Exact(values, q);
    const double got = h.Percentile(q);
    EXPECT_LE(std::abs(got - want) / want, kPromised)
        << "q=" << q << " got " << got << " want " << want;
  }
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogramTest, UniformMicrosecondsMatchExactPercentiles) {
  std::vector<int64_t> values;
  for (int64_t us = 1; us <= 100000; ++us) values.push_back(us * 1000);
  ExpectPercentilesMatch(values);
  LatencyHistogram h;
  for (int64_t v : values) h.Record(v);
  // Known answers: the median of 1..100000 us is 50000 us.
  EXPECT_NEAR(h.Percentile(0.5), 50e6, 50e6 * kPromised);
  EXPECT_NEAR(h.Percentile(0.99), 99e6, 99e6 * kPromised);
  EXPECT_NEAR(h.mean(), 50000.5e3, 1);  // the mean is exact
}

TEST(LatencyHistogramTest, LogUniformOverTheWholeRange) {
  // 1 us .. 100 s, every decade equally likely: the hard case for linear
  // buckets, routine for log ones.
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(3, 11);
  std::vector<int64_t> values(200000);
  for (int64_t& v : values) v = static_cast<int64_t>(std::pow(10, exponent(rng)));
  ExpectPercentilesMatch(values);
}

TEST(LatencyHistogramTest, BimodalTailIsNotSmoothedAway) {
  // 990 fast requests and 10 stalls: p99 is still fast, p99.5 is a stall.
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(100'000);     // 100 us
  for (int i = 0; i < 10; ++i) h.Record(50'000'000);   // 50 ms
  EXPECT_NEAR(h.Percentile(0.99), 100e3, 100e3 * kPromised);
  EXPECT_NEAR(h.Percentile(0.995), 50e6, 50e6 * kPromised);
  EXPECT_EQ(h.Percentile(1.0), 50e6);
  EXPECT_EQ(h.Percentile(0.0), 100e3);
}

TEST(LatencyHistogramTest, EveryBucketHoldsItsValueWithinTheBound) {
  for (double v = 1e3; v <= 1e11; v *= 1.0037) {
    LatencyHistogram h;
    h.Record(static_cast<int64_t>(v));
    const auto buckets = h.NonEmptyBuckets();
    ASSERT_EQ(buckets.size(), 1u);
    const double x = static_cast<double>(static_cast<int64_t>(v));
    EXPECT_LE(buckets[0].lower_nanos, x);
    EXPECT_GE(buckets[0].upper_nanos * (1 + 1e-12), x);
    // The representative point of the bucket, as Percentile reports it.
    const double mid = 2 * buckets[0].upper_nanos / (LatencyHistogram::kGamma + 1);
    EXPECT_LE(std::abs(mid - x) / x, LatencyHistogram::RelativeErrorBound() * 1.001)
        << x;
  }
  EXPECT_LT(LatencyHistogram::RelativeErrorBound(), kPromised);
}

TEST(LatencyHistogramTest, OutOfRangeValuesKeepExactExtremes) {
  LatencyHistogram h;
  h.Record(-5);            // clock skew: counted as 0
  h.Record(500);           // below 1 us
  h.Record(200'000'000'000);  // 200 s, above the range
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 200'000'000'000);
  EXPECT_EQ(h.Percentile(1.0), 200e9);
  // Percentiles never leave [min, max].
  EXPECT_GE(h.Percentile(0.4), 0);
  EXPECT_LE(h.Percentile(0.9), 200e9);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(13, 1.5);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    (i % 3 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) {
    EXPECT_EQ(a.Percentile(q), all.Percentile(q)) << q;
  }
}

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_TRUE(h.NonEmptyBuckets().empty());
}

}  // namespace
}  // namespace activation::client
