// LatencyHistogram: a log-bucketed histogram of durations, as HdrHistogram and
// DDSketch keep them: fixed memory, O(1) recording, percentiles with a bounded
// *relative* error however the values are spread.
//
// Bucket i > 0 holds the values in (kMinNanos * g^(i-1), kMinNanos * g^i] with
// g = kGamma; a percentile is reported as the point of its bucket whose
// relative distance to both ends is the same, 2 * upper / (g + 1), so the
// reported value is within (g - 1) / (g + 1) ~ 0.5% of the true one for every
// value in [kMinNanos, kMaxNanos] (1 us .. 100 s). Values outside that range
// are counted in the first or last bucket; min, max, count and sum are kept
// exactly, and percentiles are clamped to [min, max].
//
// Not thread-safe: give each thread its own and Merge them, or lock.
#ifndef CLIENT_HISTOGRAM_H_
#define CLIENT_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace activation::client {

class LatencyHistogram {
 public:
  static constexpr double kMinNanos = 1e3;   // 1 us
  static constexpr double kMaxNanos = 1e11;  // 100 s
  // Bucket growth factor: relative error bound (g-1)/(g+1) = 0.4975%, half of
  // the 1% the load tester promises, leaving room for rounding at edges.
  static constexpr double kGamma = 1.01;

  LatencyHistogram();

  // Records one duration in nanoseconds (negative values count as 0).
  void Record(int64_t nanos);
  // Adds every value recorded in `other`.
  void Merge(const LatencyHistogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  // Exact; 0 when empty.
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return count_ == 0 ? 0 : max_; }
  double mean() const;

  // The nearest-rank q-quantile in nanoseconds: the smallest recorded value v
  // such that at least ceil(q * count) values are <= v, within the relative
  // error above. q is clamped to [0, 1]; q = 0 gives min, q = 1 max. 0 when
  // empty.
  double Percentile(double q) const;

  // The largest relative error Percentile can make within [kMinNanos,
  // kMaxNanos].
  static double RelativeErrorBound() { return (kGamma - 1) / (kGamma + 1); }

  struct Bucket {
    double lower_nanos;  // exclusive (0 for the first bucket)
    double upper_nanos;  // inclusive
    uint64_t count;
  };
  // The buckets holding at least one value, in increasing order.
  std::vector<Bucket> NonEmptyBuckets() const;

 private:
  static int BucketIndex(double nanos);
  static double BucketUpper(int index);

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace activation::client

#endif  // CLIENT_HISTOGRAM_H_
