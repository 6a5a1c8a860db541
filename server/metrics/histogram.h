// A Prometheus-style histogram over non-negative integers (nanoseconds,
// element counts): fixed upper bounds, one atomic count per bucket and an
// atomic sum, so that Observe is a handful of relaxed atomic adds and never
// takes a lock.
//
// Example:
//   Histogram latency({50'000, 100'000, 250'000});  // bounds in ns
//   latency.Observe(72'000);                         // lands in le=100000
//   HistogramSnapshot s = latency.Snapshot();        // s.cumulative = {0,1,1,1}
#ifndef SERVER_METRICS_HISTOGRAM_H_
#define SERVER_METRICS_HISTOGRAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace actserver::metrics {

// What a histogram held at one moment, in Prometheus's shape: cumulative
// bucket counts for each upper bound and a last one for +Inf (which equals
// `count`), and the sum of the observed values.
struct HistogramSnapshot {
  std::vector<std::uint64_t> upper_bounds;  // finite bounds, ascending
  std::vector<std::uint64_t> cumulative;    // upper_bounds.size() + 1 entries
  std::uint64_t count = 0;
  std::uint64_t sum = 0;

  // Adds `other` (same bounds) bucket by bucket: merges label sets.
  void Add(const HistogramSnapshot& other);
};

// Thread-safe and lock-free. A value v falls into the first bucket whose
// upper bound is >= v (Prometheus's "le", less than or equal), or into +Inf.
class Histogram {
 public:
  // `upper_bounds`: strictly ascending (checked: a programming error aborts).
  explicit Histogram(std::span<const std::uint64_t> upper_bounds);

  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(std::uint64_t value);

  // Reads every bucket with relaxed loads. Concurrent observations may be
  // half-seen (the bucket counted, the sum not yet), but `count` is derived
  // from the buckets, so the exposition's _count always equals its +Inf
  // bucket as the format requires.
  HistogramSnapshot Snapshot() const;

  std::span<const std::uint64_t> upper_bounds() const { return bounds_; }

 private:
  const std::vector<std::uint64_t> bounds_;
  // bounds_.size() + 1 counts, the last for +Inf; not cumulative.
  const std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> sum_{0};
};

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_HISTOGRAM_H_
