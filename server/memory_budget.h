// The memory this server holds on behalf of its calls, and the pool its
// response buffers come from.
//
// MemoryBudget is a byte counter with a hard limit: every request held and
// every response buffer (lent or idle in the pool) takes its bytes from it
// before the memory is used, and a call that does not fit is refused rather
// than allowed to grow the process. BufferPool keeps freed response buffers
// for reuse, so that a steady load touches no new pages (a fresh 4 MiB
// buffer costs a thousand page faults), and charges the idle ones to the
// budget too: the pool never makes the server hold more than the budget,
// and gives its idle buffers back when a call needs the room.
#ifndef SERVER_MEMORY_BUDGET_H_
#define SERVER_MEMORY_BUDGET_H_

#include <grpcpp/support/slice.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace actserver {

// Thread-safe and lock-free.
class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit_bytes) : limit_(limit_bytes) {}

  // Takes `bytes` if they fit under the limit; otherwise takes nothing and
  // returns false.
  bool TryAcquire(std::size_t bytes);
  // Gives back bytes taken by TryAcquire.
  void Release(std::size_t bytes);

  std::size_t limit() const { return limit_; }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  // The most ever used at once.
  std::size_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> peak_{0};
};

// Response buffers. Thread-safe. Must outlive every buffer it lent (the
// service owns it and the gRPC server, destroyed first, drops every call).
class BufferPool {
 public:
  struct Buffer;

  // Idle buffers are kept while they total at most `max_idle_bytes`.
  BufferPool(MemoryBudget* budget, std::size_t max_idle_bytes);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of at least `bytes`, charged to the budget: an idle one of the
  // right size if there is one, else new memory. Idle buffers of other sizes
  // are freed if that makes room. Null if the budget cannot hold it.
  Buffer* Acquire(std::size_t bytes);
  // Takes `bytes` from the budget, freeing idle buffers to make room if
  // needed; false if they do not fit even then.
  bool TryClaim(std::size_t bytes) {
    return budget_->TryAcquire(bytes) || MakeRoom(bytes);
  }
  // Takes back a buffer that was not handed to gRPC.
  void Return(Buffer* buffer);
  // A slice over the first `size` bytes of `buffer` that returns the buffer
  // to the pool when gRPC releases the slice (after the bytes are sent).
  grpc::Slice ToSlice(Buffer* buffer, std::size_t size);

  // Frees every idle buffer (gives its pages back and its bytes to the
  // budget); returns the bytes freed.
  std::size_t ReleaseIdle();

  // Bytes of the idle buffers (part of the budget's `used`).
  std::size_t idle_bytes() const;
  // Buffers Acquire found idle / had to allocate; for tests and metrics.
  std::uint64_t reused() const { return reused_.load(std::memory_order_relaxed); }
  std::uint64_t allocated() const {
    return allocated_.load(std::memory_order_relaxed);
  }

  // Buffers smaller than this are plain allocations, never pooled: malloc's
  // own caches serve them well, and their page faults are few.
  static constexpr std::size_t kMinPooledBytes = std::size_t{64} << 10;

 private:
  static constexpr int kClasses = 4 * 40;  // four size classes per octave
  // Room in every pooled buffer beyond its class's power-of-two steps: a
  // response's protobuf framing is a few dozen bytes.
  static constexpr std::size_t kHeaderSlack = 4096;

  static int SizeClass(std::size_t bytes);
  static std::size_t ClassBytes(int size_class);
  Buffer* Allocate(std::size_t bytes, int size_class);
  void Free(Buffer* buffer);
  // Frees idle buffers, largest first, until `bytes` fit in the budget or
  // none is left; false if they still do not fit.
  bool MakeRoom(std::size_t bytes);
  static void ReturnFromSlice(void* buffer);

  MemoryBudget* const budget_;
  const std::size_t max_idle_bytes_;
  mutable absl::Mutex mu_;
  std::array<std::vector<Buffer*>, kClasses> idle_ ABSL_GUARDED_BY(mu_);
  std::size_t idle_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<std::uint64_t> reused_{0};
  std::atomic<std::uint64_t> allocated_{0};
};

struct BufferPool::Buffer {
  char* data = nullptr;
  std::size_t capacity = 0;  // bytes charged to the budget
  int size_class = -1;       // -1: not pooled
  BufferPool* pool = nullptr;
};

}  // namespace actserver

#endif  // SERVER_MEMORY_BUDGET_H_
