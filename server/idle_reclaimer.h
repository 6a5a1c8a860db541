// Gives memory back once the server has been idle for a while.
//
// Under load the buffer pool keeps freed response buffers and malloc keeps
// freed heap (malloc_policy.h) so that the next call touches no new pages.
// After the load, both would leave the process at its peak RSS for good (375
// MiB idle after the RPC bench, docs/benchmarks.md). When no call has started
// for `idle_after`, the reclaimer frees the pool's idle buffers and asks
// malloc to return its free memory (malloc_trim) -- once per idle period.
#ifndef SERVER_IDLE_RECLAIMER_H_
#define SERVER_IDLE_RECLAIMER_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/memory_budget.h"

namespace actserver {

// Thread-safe. Owns one thread, which checks every min(idle_after / 2, 1 s).
class IdleReclaimer {
 public:
  // `idle_after` <= 0: never reclaims (no thread). `pool` must outlive this.
  IdleReclaimer(BufferPool* pool, absl::Duration idle_after);
  ~IdleReclaimer();
  IdleReclaimer(const IdleReclaimer&) = delete;
  IdleReclaimer& operator=(const IdleReclaimer&) = delete;

  // A call started: the server is busy. Lock-free, a relaxed store.
  void Touch();

  // Idle periods that ended in a reclaim, and the pool bytes they freed.
  std::uint64_t reclaims() const { return reclaims_.load(std::memory_order_relaxed); }
  std::uint64_t reclaimed_bytes() const {
    return reclaimed_bytes_.load(std::memory_order_relaxed);
  }

 private:
  void Run();

  BufferPool* const pool_;
  const absl::Duration idle_after_;
  std::atomic<std::int64_t> last_touch_ns_;
  std::atomic<std::uint64_t> reclaims_{0};
  std::atomic<std::uint64_t> reclaimed_bytes_{0};
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace actserver

#endif  // SERVER_IDLE_RECLAIMER_H_
