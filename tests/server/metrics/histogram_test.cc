#include "server/metrics/histogram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace actserver::metrics {
namespace {

constexpr std::uint64_t kBounds[] = {10, 100, 1000};

TEST(HistogramTest, EmptyHasZeroBucketsAndOneForInf) {
  Histogram h(kBounds);
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.upper_bounds, std::vector<std::uint64_t>({10, 100, 1000}));
  EXPECT_EQ(s.cumulative, std::vector<std::uint64_t>({0, 0, 0, 0}));
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum, 0u);
}

TEST(HistogramTest, BoundsAreInclusiveAsPrometheusLe) {
  Histogram h(kBounds);
  h.Observe(0);     // le=10
  h.Observe(10);    // le=10: equal to the bound counts in it
  h.Observe(11);    // le=100
  h.Observe(1000);  // le=1000
  h.Observe(1001);  // +Inf
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.cumulative, std::vector<std::uint64_t>({2, 3, 4, 5}));
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.sum, 0u + 10 + 11 + 1000 + 1001);
}

TEST(HistogramTest, CountEqualsInfBucket) {
  Histogram h(kBounds);
  for (std::uint64_t v = 0; v < 5000; v += 7) h.Observe(v);
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.count, s.cumulative.back());
}

TEST(HistogramTest, ConcurrentObservationsAreAllCounted) {
  Histogram h(kBounds);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < kPerThread; ++i) h.Observe((i + t) % 2000);
    });
  }
  for (std::thread& t : threads) t.join();
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.count, std::uint64_t{kThreads} * kPerThread);
  std::uint64_t expected_sum = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) expected_sum += (i + t) % 2000;
  }
  EXPECT_EQ(s.sum, expected_sum);
}

TEST(HistogramTest, SnapshotsAddBucketByBucket) {
  Histogram a(kBounds), b(kBounds);
  a.Observe(5);
  b.Observe(50);
  b.Observe(5000);
  HistogramSnapshot s;
  s.Add(a.Snapshot());
  s.Add(b.Snapshot());
  EXPECT_EQ(s.cumulative, std::vector<std::uint64_t>({1, 2, 2, 3}));
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.sum, 5055u);
}

TEST(HistogramDeathTest, UnsortedBoundsAbort) {
  constexpr std::uint64_t kBad[] = {10, 10};
  EXPECT_DEATH(Histogram h(kBad), "");
}

}  // namespace
}  // namespace actserver::metrics
