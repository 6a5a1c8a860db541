#include "server/idle_reclaimer.h"

#include <malloc.h>

#include <algorithm>

namespace actserver {
namespace {

std::int64_t NowNanos() { return absl::ToUnixNanos(absl::Now()); }

}  // namespace

IdleReclaimer::IdleReclaimer(BufferPool* pool, absl::Duration idle_after)
    : pool_(pool), idle_after_(idle_after), last_touch_ns_(NowNanos()) {
  if (idle_after_ > absl::ZeroDuration()) thread_ = std::thread([this] { Run(); });
}

IdleReclaimer::~IdleReclaimer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void IdleReclaimer::Touch() {
  last_touch_ns_.store(NowNanos(), std::memory_order_relaxed);
}

void IdleReclaimer::Run() {
  const absl::Duration period = std::min(idle_after_ / 2, absl::Seconds(1));
  std::int64_t reclaimed_at = -1;  // the touch time of the last reclaim
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stop_), period)) {
    const std::int64_t touched = last_touch_ns_.load(std::memory_order_relaxed);
    if (touched == reclaimed_at) continue;  // nothing happened since
    if (absl::Nanoseconds(NowNanos() - touched) < idle_after_) continue;
    reclaimed_at = touched;
    mu_.Unlock();
    const std::size_t freed = pool_->ReleaseIdle();
    malloc_trim(0);
    reclaims_.fetch_add(1, std::memory_order_relaxed);
    reclaimed_bytes_.fetch_add(freed, std::memory_order_relaxed);
    mu_.Lock();
  }
}

}  // namespace actserver
