#include "server/metrics/histogram.h"

#include <algorithm>
#include <cstdlib>

namespace actserver::metrics {

void HistogramSnapshot::Add(const HistogramSnapshot& other) {
  if (cumulative.empty()) {
    *this = other;
    return;
  }
  if (other.upper_bounds != upper_bounds) std::abort();  // programming error
  for (std::size_t i = 0; i < cumulative.size(); ++i) {
    cumulative[i] += other.cumulative[i];
  }
  count += other.count;
  sum += other.sum;
}

Histogram::Histogram(std::span<const std::uint64_t> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()),
      buckets_(new std::atomic<std::uint64_t>[upper_bounds.size() + 1]) {
  for (std::size_t i = 1; i < bounds_.size(); ++i) {
    if (bounds_[i] <= bounds_[i - 1]) std::abort();  // programming error
  }
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    buckets_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(std::uint64_t value) {
  // First bound >= value; past the end is the +Inf bucket. Bounds lists are
  // short (<= 20), so this is a few compares in one cache line or two.
  const std::size_t bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) -
      bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot s;
  s.upper_bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace actserver::metrics
