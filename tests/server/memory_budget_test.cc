#include "server/memory_budget.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "server/admission.h"
#include "server/idle_reclaimer.h"

namespace actserver {
namespace {

TEST(MemoryBudgetTest, AcquireUpToTheLimit) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.TryAcquire(60));
  EXPECT_FALSE(budget.TryAcquire(41));
  EXPECT_TRUE(budget.TryAcquire(40));
  EXPECT_FALSE(budget.TryAcquire(1));
  EXPECT_EQ(budget.used(), 100u);
  budget.Release(60);
  EXPECT_EQ(budget.used(), 40u);
  EXPECT_EQ(budget.peak(), 100u);
  EXPECT_FALSE(budget.TryAcquire(~std::size_t{0}));  // no overflow
}

TEST(MemoryBudgetTest, ConcurrentAcquireNeverExceedsTheLimit) {
  MemoryBudget budget(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (budget.TryAcquire(7)) budget.Release(7);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_LE(budget.peak(), 1000u);
}

TEST(BufferPoolTest, ReusesBuffersOfTheSameSizeClass) {
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 16 << 20);
  BufferPool::Buffer* a = pool.Acquire(1 << 20);
  ASSERT_NE(a, nullptr);
  EXPECT_GE(a->capacity, 1u << 20);
  EXPECT_LE(a->capacity, (1u << 20) * 5 / 4);
  BufferPool::Buffer* framed = pool.Acquire((1 << 20) + 100);  // values + framing
  ASSERT_NE(framed, nullptr);
  EXPECT_EQ(framed->capacity, a->capacity);  // the same class, no quarter lost
  EXPECT_LE(framed->capacity, (1u << 20) + 4096);
  pool.Return(framed);
  std::memset(a->data, 1, 1 << 20);  // the memory is really there
  const std::size_t charged = budget.used();
  EXPECT_EQ(charged, pool.idle_bytes() + a->capacity);
  char* data = a->data;
  pool.Return(a);
  EXPECT_EQ(budget.used(), charged);  // idle, still charged
  EXPECT_EQ(pool.idle_bytes(), charged);
  BufferPool::Buffer* b = pool.Acquire((1 << 20) - 1000);  // same class
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->data, data);
  EXPECT_EQ(pool.reused(), 1u);
  EXPECT_EQ(pool.allocated(), 2u);
  pool.Return(b);
}

TEST(BufferPoolTest, SmallBuffersAreNotPooled) {
  MemoryBudget budget(1 << 20);
  BufferPool pool(&budget, 1 << 20);
  BufferPool::Buffer* a = pool.Acquire(100);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(budget.used(), 100u);
  pool.Return(a);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(pool.idle_bytes(), 0u);
}

TEST(BufferPoolTest, IdleBuffersAreFreedToMakeRoom) {
  MemoryBudget budget(10 << 20);
  BufferPool pool(&budget, 10 << 20);
  BufferPool::Buffer* a = pool.Acquire(4 << 20);
  BufferPool::Buffer* b = pool.Acquire(4 << 20);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  pool.Return(a);
  pool.Return(b);
  EXPECT_EQ(pool.idle_bytes(), 2 * ((4u << 20) + 4096));
  // 6 MiB is another size class: the idle 4 MiB buffers must make room.
  BufferPool::Buffer* c = pool.Acquire(6 << 20);
  ASSERT_NE(c, nullptr);
  EXPECT_LE(budget.used(), budget.limit());
  pool.Return(c);
  // More than the whole budget never fits.
  EXPECT_EQ(pool.Acquire(11 << 20), nullptr);
}

TEST(BufferPoolTest, IdleBytesStayUnderTheirCap) {
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 3 << 20);
  std::vector<BufferPool::Buffer*> buffers;
  for (int i = 0; i < 5; ++i) buffers.push_back(pool.Acquire(1 << 20));
  for (auto* b : buffers) pool.Return(b);
  EXPECT_LE(pool.idle_bytes(), 3u << 20);
  EXPECT_EQ(budget.used(), pool.idle_bytes());
}

TEST(BufferPoolTest, SliceReturnsTheBufferWhenReleased) {
  MemoryBudget budget(8 << 20);
  BufferPool pool(&budget, 0);  // nothing kept idle
  BufferPool::Buffer* a = pool.Acquire(1 << 20);
  ASSERT_NE(a, nullptr);
  {
    grpc::Slice slice = pool.ToSlice(a, 1000);
    EXPECT_EQ(slice.size(), 1000u);
    grpc::Slice copy = slice;  // a second reference
    EXPECT_GT(budget.used(), 0u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

TEST(AdmissionTest, RefusesWhatDoesNotFitAndSaysWhy) {
  MemoryBudget budget(10 << 20);
  BufferPool pool(&budget, 0);
  Admission admission(&budget, &pool, 1000);
  BufferPool::Buffer* buffer = nullptr;
  absl::StatusOr<Admission::Ticket> t1 =
      admission.Admit(2 << 20, 3 << 20, 600, &buffer);
  ASSERT_TRUE(t1.ok()) << t1.status();
  ASSERT_NE(buffer, nullptr);
  EXPECT_EQ(admission.queued_elements(), 600u);

  BufferPool::Buffer* other = nullptr;
  absl::StatusOr<Admission::Ticket> queue = admission.Admit(10, 10, 500, &other);
  ASSERT_FALSE(queue.ok());
  EXPECT_EQ(queue.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(queue.status().message(),
            "compute queue full: 600 values are queued ahead of this call's 500 "
            "(limit 1000, --max_queued_elements); retry later");

  absl::StatusOr<Admission::Ticket> memory =
      admission.Admit(3 << 20, 3 << 20, 10, &other);
  ASSERT_FALSE(memory.ok());
  EXPECT_EQ(memory.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(memory.status().message(),
            "memory budget: this call needs 6.0 MiB (request 3.0 MiB + response "
            "3.0 MiB) and 5.0 MiB of 10.0 MiB are in use by other calls "
            "(--memory_budget); retry later");
  EXPECT_EQ(other, nullptr);
  EXPECT_EQ(admission.queued_elements(), 600u);  // the refused left nothing

  absl::StatusOr<Admission::Ticket> huge = admission.Admit(8 << 20, 8 << 20, 1, &other);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("more than this server's whole budget of 10.0 MiB"),
            std::string::npos);
  EXPECT_EQ(admission.refused_memory(), 2u);
  EXPECT_EQ(admission.refused_queue(), 1u);

  t1->LeaveQueue();
  EXPECT_EQ(admission.queued_elements(), 0u);
  EXPECT_EQ(budget.used(), (2u << 20) + buffer->capacity);
  pool.Return(buffer);
  *t1 = Admission::Ticket();  // releases the request's bytes
  EXPECT_EQ(budget.used(), 0u);
}

TEST(AdmissionTest, ACallAloneIsAdmittedWhateverItsSize) {
  MemoryBudget budget(1 << 20);
  BufferPool pool(&budget, 0);
  Admission admission(&budget, &pool, 10);
  BufferPool::Buffer* buffer = nullptr;
  absl::StatusOr<Admission::Ticket> t = admission.Admit(10, 10, 1000, &buffer);
  ASSERT_TRUE(t.ok()) << t.status();
  pool.Return(buffer);
}

TEST(AdmissionTest, AReadClaimsWhatRecentRequestsMeasured) {
  // 64 MiB budget: the estimate starts at a 64th of it, 1 MiB; a read claims
  // room for such a request and as large a response.
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 0);
  Admission admission(&budget, &pool, 1000, /*max_message_bytes=*/32 << 20);
  EXPECT_EQ(admission.read_estimate(), 1u << 20);
  absl::StatusOr<Admission::ReadTicket> read = admission.StartRead();
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->bytes(), 2u << 20);
  EXPECT_EQ(budget.used(), 2u << 20);
  // A larger request: the estimate follows it up at once. Its admission
  // takes the read's claim back first.
  admission.ReadDone(20 << 20);
  EXPECT_EQ(admission.read_estimate(), 20u << 20);
  BufferPool::Buffer* buffer = nullptr;
  absl::StatusOr<Admission::Ticket> admitted =
      admission.Admit(20 << 20, 20 << 20, 10, &buffer, &*read);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(read->bytes(), 0u);
  EXPECT_EQ(budget.used(), (20u << 20) + buffer->capacity);
  pool.Return(buffer);
  *admitted = Admission::Ticket();
  EXPECT_EQ(budget.used(), 0u);
  // Smaller ones: down by half the gap each, to the 64 KiB floor.
  for (int i = 0; i < 3; ++i) admission.ReadDone(100);
  EXPECT_EQ(admission.read_estimate(), (20u << 20) / 8 + (64u << 10) * 7 / 8);
  for (int i = 0; i < 40; ++i) admission.ReadDone(100);
  EXPECT_EQ(admission.read_estimate(), Admission::kMinReadEstimate);
  // Never above the largest message a request may have.
  admission.ReadDone(std::size_t{1} << 40);
  EXPECT_EQ(admission.read_estimate(), 32u << 20);
  // And a claim never above the whole budget.
  absl::StatusOr<Admission::ReadTicket> whole = admission.StartRead();
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->bytes(), 64u << 20);
}

TEST(AdmissionTest, AReadThatDoesNotFitIsRefusedBeforeItStarts) {
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 0);
  Admission admission(&budget, &pool, 1000, /*max_message_bytes=*/16 << 20);
  admission.ReadDone(8 << 20);  // requests of 8 MiB lately: claims of 16
  std::vector<Admission::ReadTicket> reading;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<Admission::ReadTicket> r = admission.StartRead();
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    reading.push_back(*std::move(r));
  }
  absl::StatusOr<Admission::ReadTicket> fifth = admission.StartRead();
  ASSERT_FALSE(fifth.ok());
  EXPECT_EQ(fifth.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(fifth.status().message(),
            "memory budget: 64.0 MiB of 64.0 MiB are in use by other calls, "
            "no room to receive this call's request (recent requests: up to "
            "8.0 MiB, and as much for the response) (--memory_budget); retry "
            "later");
  EXPECT_EQ(admission.refused_memory(), 1u);
  EXPECT_EQ(admission.refused_before_read(), 1u);
  reading.pop_back();  // a read over (here: abandoned) gives its claim back
  EXPECT_TRUE(admission.StartRead().ok());
  reading.clear();
  EXPECT_EQ(budget.used(), 0u);

  // A full compute queue refuses before reading too.
  BufferPool::Buffer* buffer = nullptr;
  absl::StatusOr<Admission::Ticket> queued =
      admission.Admit(10, 10, 1000, &buffer);
  ASSERT_TRUE(queued.ok());
  absl::StatusOr<Admission::ReadTicket> refused = admission.StartRead();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "compute queue full: 1000 values are queued (limit 1000, "
            "--max_queued_elements); retry later");
  EXPECT_EQ(admission.refused_queue(), 1u);
  EXPECT_EQ(admission.refused_before_read(), 2u);
  pool.Return(buffer);
}

// claims() is the engine's hint (service.cc RunJobs): a call alone holds one
// claim from its read to its end, through the hand-over from ReadTicket to
// Ticket; another call being read counts as soon as its read starts.
TEST(AdmissionTest, ClaimsCountCallsFromReadToEnd) {
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 32 << 20);
  Admission admission(&budget, &pool, 1 << 20);
  EXPECT_EQ(admission.claims(), 0u);
  absl::StatusOr<Admission::ReadTicket> read = admission.StartRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(admission.claims(), 1u);
  BufferPool::Buffer* buffer = nullptr;
  absl::StatusOr<Admission::Ticket> ticket = admission.Admit(100, 100, 25, &buffer, &*read);
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  read->Release();  // as the service does once admitted (idempotent here)
  EXPECT_EQ(admission.claims(), 1u);  // the call alone
  absl::StatusOr<Admission::ReadTicket> other = admission.StartRead();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(admission.claims(), 2u);  // another call being received
  Admission::Ticket moved = *std::move(ticket);
  EXPECT_EQ(admission.claims(), 2u);  // a move is not a new claim
  moved.LeaveQueue();
  EXPECT_EQ(admission.claims(), 2u);  // computed, not yet sent: still a claim
  moved.Release();
  other->Release();
  EXPECT_EQ(admission.claims(), 0u);
  pool.Return(buffer);
}

TEST(IdleReclaimerTest, FreesThePoolOnceWhenIdleAndNotWhileBusy) {
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 32 << 20);
  pool.Return(pool.Acquire(4 << 20));
  ASSERT_GT(pool.idle_bytes(), 0u);
  IdleReclaimer reclaimer(&pool, absl::Milliseconds(200));
  // Busy: touched more often than the idle period.
  for (int i = 0; i < 10; ++i) {
    reclaimer.Touch();
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(reclaimer.reclaims(), 0u);
  EXPECT_GT(pool.idle_bytes(), 0u);
  // Idle: the buffers go, once.
  for (int i = 0; i < 100 && reclaimer.reclaims() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(reclaimer.reclaims(), 1u);
  EXPECT_EQ(pool.idle_bytes(), 0u);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_GE(reclaimer.reclaimed_bytes(), 4u << 20);
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(reclaimer.reclaims(), 1u);  // nothing new to reclaim
}

TEST(IdleReclaimerTest, ZeroMeansNever) {
  MemoryBudget budget(64 << 20);
  BufferPool pool(&budget, 32 << 20);
  IdleReclaimer reclaimer(&pool, absl::ZeroDuration());
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(reclaimer.reclaims(), 0u);
}

}  // namespace
}  // namespace actserver
