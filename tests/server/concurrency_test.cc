// The server's own concurrent resources raced by plain threads: the memory
// budget, the buffer pool (buffers handed from one thread to another, freed
// idle while others take them), admission (reads, admits, queue and budget
// released from many threads), the idle reclaimer against a busy pool, and
// the service counters. Nothing here goes through gRPC's or oneTBB's threads,
// so ThreadSanitizer sees every hand-off (scripts/sanitize.sh thread-ci runs
// these in CI; docs/reliability.md, "TSan"). The normal build checks the totals.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/admission.h"
#include "server/counters.h"
#include "server/idle_reclaimer.h"
#include "server/memory_budget.h"

namespace actserver {
namespace {

constexpr int kThreads = 4;

// Writes the whole buffer and checks a byte another thread wrote before it
// was handed over: TSan reports the write if the hand-off did not order it.
void Scribble(BufferPool::Buffer* buffer, char value) {
  std::memset(buffer->data, value, buffer->capacity);
}

TEST(ConcurrencyTest, BufferPoolBuffersMoveBetweenThreadsAndIdleOnesAreFreed) {
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 16 << 20);
  // Buffers acquired on one thread, written, and returned by another.
  absl::Mutex mu;
  std::deque<BufferPool::Buffer*> handed;  // guarded by mu
  std::atomic<bool> done{false};
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::minstd_rand random(t);
      for (int i = 0; i < 300; ++i) {
        // 64 KiB .. 1 MiB: pooled size classes, a few of them shared.
        const std::size_t bytes = (std::size_t{64} << 10) << (random() % 5);
        if (BufferPool::Buffer* buffer = pool.Acquire(bytes)) {
          ++acquired;
          Scribble(buffer, static_cast<char>(t));
          absl::MutexLock lock(&mu);
          handed.push_back(buffer);
        }
        BufferPool::Buffer* other = nullptr;
        {
          absl::MutexLock lock(&mu);
          if (!handed.empty()) {
            other = handed.front();
            handed.pop_front();
          }
        }
        if (other != nullptr) {
          Scribble(other, static_cast<char>(t + 100));
          pool.Return(other);
        }
      }
    });
  }
  // Idle buffers freed while the others take and return them.
  std::thread releaser([&] {
    while (!done.load()) {
      pool.ReleaseIdle();
      (void)pool.idle_bytes();
      std::this_thread::yield();
    }
  });
  for (std::thread& t : threads) t.join();
  done = true;
  releaser.join();
  for (BufferPool::Buffer* buffer : handed) pool.Return(buffer);
  EXPECT_GT(acquired.load(), 0);
  EXPECT_EQ(budget.used(), pool.idle_bytes());
  EXPECT_LE(budget.peak(), budget.limit());
  pool.ReleaseIdle();
  EXPECT_EQ(budget.used(), 0u);
}

TEST(ConcurrencyTest, SlicesReleasedOnAnotherThreadReturnTheirBuffers) {
  MemoryBudget budget(32 << 20);
  BufferPool pool(&budget, 8 << 20);
  absl::Mutex mu;
  std::deque<grpc::Slice> slices;  // guarded by mu
  std::atomic<bool> producing{true};
  std::thread producer([&] {
    for (int i = 0; i < 400; ++i) {
      BufferPool::Buffer* buffer = pool.Acquire(std::size_t{128} << 10);
      if (buffer == nullptr) continue;
      Scribble(buffer, 1);
      grpc::Slice slice = pool.ToSlice(buffer, 1000);
      absl::MutexLock lock(&mu);
      slices.push_back(std::move(slice));
    }
    producing = false;
  });
  // The last reference goes on this thread: the buffer comes back to the
  // pool from here (as when gRPC drops a sent response).
  std::thread consumer([&] {
    while (true) {
      grpc::Slice slice;
      {
        absl::MutexLock lock(&mu);
        if (slices.empty()) {
          if (!producing.load()) break;
          std::this_thread::yield();
          continue;
        }
        slice = std::move(slices.front());
        slices.pop_front();
      }
      EXPECT_EQ(slice.begin()[999], 1);
    }
  });
  producer.join();
  consumer.join();
  EXPECT_EQ(budget.used(), pool.idle_bytes());
}

TEST(ConcurrencyTest, AdmissionUnderRacingReadsAdmitsAndReleases) {
  MemoryBudget budget(16 << 20);
  BufferPool pool(&budget, 4 << 20);
  Admission admission(&budget, &pool, /*max_queued_elements=*/1 << 20,
                      /*max_message_bytes=*/4 << 20);
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::minstd_rand random(t);
      for (int i = 0; i < 400; ++i) {
        absl::StatusOr<Admission::ReadTicket> read = admission.StartRead();
        if (!read.ok()) {
          ++refused;
          continue;
        }
        const std::size_t request = (std::size_t{16} << 10) << (random() % 7);
        admission.ReadDone(request);
        BufferPool::Buffer* response = nullptr;
        absl::StatusOr<Admission::Ticket> ticket = admission.Admit(
            request, request, request / 4, &response, &*read);
        if (!ticket.ok()) {
          ++refused;
          continue;
        }
        ++admitted;
        Scribble(response, static_cast<char>(t));
        ticket->LeaveQueue();
        pool.Return(response);
        ticket->Release();
      }
    });
  }
  // What /metrics reads, while it changes.
  std::thread reader([&] {
    while (!done.load()) {
      (void)admission.queued_elements();
      (void)admission.read_estimate();
      (void)admission.refused_memory();
      (void)admission.refused_queue();
      (void)budget.used();
      std::this_thread::yield();
    }
  });
  for (std::thread& t : threads) t.join();
  done = true;
  reader.join();
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(admission.queued_elements(), 0u);
  EXPECT_EQ(budget.used(), pool.idle_bytes());
  EXPECT_LE(budget.peak(), budget.limit());
  EXPECT_EQ(static_cast<std::uint64_t>(refused.load()),
            admission.refused_memory() + admission.refused_queue());
}

TEST(ConcurrencyTest, IdleReclaimerRacesABusyPoolAndStopsCleanly) {
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 32 << 20);
  {
    // Idle after 2 ms: it reclaims between the bursts below, while other
    // threads take and return buffers.
    IdleReclaimer reclaimer(&pool, absl::Milliseconds(2));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i) {
          reclaimer.Touch();
          if (BufferPool::Buffer* buffer = pool.Acquire(std::size_t{256} << 10)) {
            Scribble(buffer, static_cast<char>(t));
            pool.Return(buffer);
          }
          if (i % 20 == 0) absl::SleepFor(absl::Milliseconds(5));
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (int i = 0; i < 200 && reclaimer.reclaims() == 0; ++i) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_GE(reclaimer.reclaims(), 1u);
  }  // destroyed while its thread may be reclaiming
  EXPECT_EQ(budget.used(), pool.idle_bytes());
}

TEST(ConcurrencyTest, ServiceCountersCountEveryIncrementWhileRead) {
  ServiceCounters counters;
  constexpr int kPerThread = 20000;
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        counters.AddRpc();
        counters.AddRequests(1, 8);
        if (i % 10 == 0) counters.AddError();
      }
    });
  }
  std::thread reader([&] {
    while (!done.load()) (void)counters.ToString();
  });
  for (std::thread& t : threads) t.join();
  done = true;
  reader.join();
  const ServiceCounters::Snapshot totals = counters.Get();
  EXPECT_EQ(totals.rpcs, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(totals.requests, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(totals.elements, std::uint64_t{kThreads} * kPerThread * 8);
  EXPECT_EQ(totals.errors, std::uint64_t{kThreads} * kPerThread / 10);
}

}  // namespace
}  // namespace actserver
