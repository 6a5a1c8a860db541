#include "client/histogram.h"

#include <algorithm>
#include <cmath>

namespace activation::client {
namespace {

// Buckets needed to reach kMaxNanos: ceil(log(1e8) / log(1.01)) = 1852, plus
// bucket 0 for everything at or below kMinNanos.
const int kNumBuckets =
    static_cast<int>(std::ceil(std::log(LatencyHistogram::kMaxNanos /
                                        LatencyHistogram::kMinNanos) /
                               std::log(LatencyHistogram::kGamma))) +
    1;
const double kInvLogGamma = 1.0 / std::log(LatencyHistogram::kGamma);

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kNumBuckets, 0) {}

int LatencyHistogram::BucketIndex(double nanos) {
  if (nanos <= kMinNanos) return 0;
  const int i =
      static_cast<int>(std::ceil(std::log(nanos / kMinNanos) * kInvLogGamma));
  return std::clamp(i, 0, kNumBuckets - 1);
}

double LatencyHistogram::BucketUpper(int index) {
  return kMinNanos * std::pow(kGamma, index);
}

void LatencyHistogram::Record(int64_t nanos) {
  nanos = std::max<int64_t>(nanos, 0);
  ++counts_[BucketIndex(static_cast<double>(nanos))];
  if (count_ == 0) {
    min_ = max_ = nanos;
  } else {
    min_ = std::min(min_, nanos);
    max_ = std::max(max_, nanos);
  }
  ++count_;
  sum_ += static_cast<double>(nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kNumBuckets; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
}

void LatencyHistogram::Clear() { *this = LatencyHistogram(); }

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0 : sum_ / static_cast<double>(count_);
}

double LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  if (q == 0) return static_cast<double>(min_);
  if (q == 1) return static_cast<double>(max_);
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (int i = 0; i < kNumBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // The point equidistant (relatively) from both ends of the bucket.
      const double value = 2 * BucketUpper(i) / (kGamma + 1);
      return std::clamp(value, static_cast<double>(min_),
                        static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

std::vector<LatencyHistogram::Bucket> LatencyHistogram::NonEmptyBuckets()
    const {
  std::vector<Bucket> out;
  for (int i = 0; i < kNumBuckets; ++i) {
    if (counts_[i] == 0) continue;
    out.push_back({i == 0 ? 0.0 : BucketUpper(i - 1), BucketUpper(i),
                   counts_[i]});
  }
  return out;
}

}  // namespace activation::client
