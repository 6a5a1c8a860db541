#include "server/memory_budget.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

namespace actserver {

bool MemoryBudget::TryAcquire(std::size_t bytes) {
  std::size_t used = used_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ || used > limit_ - bytes) return false;
  } while (!used_.compare_exchange_weak(used, used + bytes,
                                        std::memory_order_relaxed));
  const std::size_t now = used + bytes;
  std::size_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak &&
         !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return true;
}

void MemoryBudget::Release(std::size_t bytes) {
  used_.fetch_sub(bytes, std::memory_order_relaxed);
}

BufferPool::BufferPool(MemoryBudget* budget, std::size_t max_idle_bytes)
    : budget_(budget), max_idle_bytes_(max_idle_bytes) {}

BufferPool::~BufferPool() {
  absl::MutexLock lock(&mu_);
  for (std::vector<Buffer*>& list : idle_) {
    for (Buffer* buffer : list) Free(buffer);
    list.clear();
  }
  idle_bytes_ = 0;
}

// Four classes per power of two, each with a page to spare: a buffer is at
// most 25% larger than asked, and a response whose values are a power of two
// bytes (plus its few bytes of protobuf framing) stays in the class of its
// values instead of wasting a quarter.
int BufferPool::SizeClass(std::size_t bytes) {
  const std::size_t n = bytes > kHeaderSlack + 1 ? bytes - kHeaderSlack : 2;
  const int octave = std::bit_width(n - 1) - 1;  // 2^octave < n <= 2^(octave+1)
  const std::size_t base = std::size_t{1} << octave;
  const std::size_t step = std::max<std::size_t>(base / 4, 1);
  const int quarter = static_cast<int>((n - base + step - 1) / step);  // 1..4
  return octave * 4 + quarter - 1;
}

std::size_t BufferPool::ClassBytes(int size_class) {
  const int octave = size_class / 4;
  const int quarter = size_class % 4 + 1;
  const std::size_t base = std::size_t{1} << octave;
  return base + quarter * std::max<std::size_t>(base / 4, 1) + kHeaderSlack;
}

BufferPool::Buffer* BufferPool::Allocate(std::size_t bytes, int size_class) {
  Buffer* buffer;
  if (size_class >= 0) {
    // Pooled buffers are mapped directly: their pages are ours to keep or
    // give back whatever malloc's thresholds are.
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    buffer = new (std::nothrow) Buffer;
    if (buffer == nullptr) {
      munmap(p, bytes);
      return nullptr;
    }
    buffer->data = static_cast<char*>(p);
  } else {
    // A small buffer and its header are one allocation: a small call's
    // response costs one malloc and one free.
    void* block = std::malloc(sizeof(Buffer) + bytes);
    if (block == nullptr) return nullptr;
    buffer = new (block) Buffer;
    buffer->data = static_cast<char*>(block) + sizeof(Buffer);
  }
  buffer->capacity = bytes;
  buffer->size_class = size_class;
  buffer->pool = this;
  allocated_.fetch_add(1, std::memory_order_relaxed);
  return buffer;
}

void BufferPool::Free(Buffer* buffer) {
  budget_->Release(buffer->capacity);
  if (buffer->size_class >= 0) {
    munmap(buffer->data, buffer->capacity);
    delete buffer;
  } else {
    buffer->~Buffer();
    std::free(buffer);
  }
}

bool BufferPool::MakeRoom(std::size_t bytes) {
  std::vector<Buffer*> freed;
  {
    absl::MutexLock lock(&mu_);
    // Idle buffers are charged until freed, so used() >= freeing here.
    std::size_t freeing = 0;
    auto fits = [&] {
      const std::size_t used = budget_->used() - freeing;
      return used <= budget_->limit() && budget_->limit() - used >= bytes;
    };
    for (int c = kClasses - 1; c >= 0 && !fits(); --c) {
      std::vector<Buffer*>& list = idle_[c];
      while (!list.empty() && !fits()) {
        freed.push_back(list.back());
        list.pop_back();
        freeing += freed.back()->capacity;
        idle_bytes_ -= freed.back()->capacity;
      }
    }
  }
  for (Buffer* buffer : freed) Free(buffer);
  return budget_->TryAcquire(bytes);
}

BufferPool::Buffer* BufferPool::Acquire(std::size_t bytes) {
  int size_class = -1;
  std::size_t capacity = bytes;
  if (bytes >= kMinPooledBytes) {
    size_class = SizeClass(bytes);
    if (size_class >= kClasses) return nullptr;
    capacity = ClassBytes(size_class);
    absl::MutexLock lock(&mu_);
    std::vector<Buffer*>& list = idle_[size_class];
    if (!list.empty()) {
      Buffer* buffer = list.back();
      list.pop_back();
      idle_bytes_ -= buffer->capacity;
      reused_.fetch_add(1, std::memory_order_relaxed);
      return buffer;  // already charged
    }
  }
  if (!budget_->TryAcquire(capacity) && !MakeRoom(capacity)) return nullptr;
  Buffer* buffer = Allocate(capacity, size_class);
  if (buffer == nullptr) budget_->Release(capacity);
  return buffer;
}

void BufferPool::Return(Buffer* buffer) {
  if (buffer->size_class >= 0) {
    absl::MutexLock lock(&mu_);
    if (idle_bytes_ + buffer->capacity <= max_idle_bytes_) {
      idle_[buffer->size_class].push_back(buffer);
      idle_bytes_ += buffer->capacity;
      return;
    }
  }
  Free(buffer);
}

void BufferPool::ReturnFromSlice(void* buffer) {
  Buffer* b = static_cast<Buffer*>(buffer);
  b->pool->Return(b);
}

grpc::Slice BufferPool::ToSlice(Buffer* buffer, std::size_t size) {
  return grpc::Slice(buffer->data, size, &BufferPool::ReturnFromSlice, buffer);
}

std::size_t BufferPool::ReleaseIdle() {
  std::vector<Buffer*> freed;
  {
    absl::MutexLock lock(&mu_);
    for (std::vector<Buffer*>& list : idle_) {
      freed.insert(freed.end(), list.begin(), list.end());
      list.clear();
    }
    idle_bytes_ = 0;
  }
  std::size_t bytes = 0;
  for (Buffer* buffer : freed) {
    bytes += buffer->capacity;
    Free(buffer);
  }
  return bytes;
}

std::size_t BufferPool::idle_bytes() const {
  absl::MutexLock lock(&mu_);
  return idle_bytes_;
}

}  // namespace actserver
