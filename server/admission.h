// Admission control: before a call's payload is laid out or computed, it
// takes its share of the server's resources -- its bytes from the memory
// budget, its values from the compute queue -- or is refused at once with
// RESOURCE_EXHAUSTED, so that overload sheds the excess in microseconds
// instead of queueing it until the process runs out of memory.
//
// One path for every computing RPC: unary, batch and each stream message.
#ifndef SERVER_ADMISSION_H_
#define SERVER_ADMISSION_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "server/memory_budget.h"

namespace actserver {

// Thread-safe. Owned by the service; outlives every Ticket.
class Admission {
 public:
  // A call's claim: the bytes of its request (held until the call ends) and
  // its values in the compute queue (until the computation ends). Move-only;
  // gives everything back when destroyed.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { Release(); }

    // The computation is over: its values leave the queue.
    void LeaveQueue();
    // Everything back (idempotent).
    void Release();
    // Bytes held in the budget.
    std::size_t bytes() const { return request_bytes_; }

   private:
    friend class Admission;
    Admission* admission_ = nullptr;
    std::size_t request_bytes_ = 0;
    std::size_t elements_ = 0;
  };

  // A claim on the budget for a request being received, whose size is not
  // known until it has arrived: a Ticket holding bytes and no values. Given
  // back when destroyed, or when the call is admitted (Admit's `read`).
  using ReadTicket = Ticket;

  // `max_queued_elements`: values admitted and not yet computed, at most (a
  // call larger than that alone is still admitted into an empty queue).
  // `max_message_bytes`: the largest request, what a read claims before the
  // server has seen any.
  Admission(MemoryBudget* budget, BufferPool* pool,
            std::size_t max_queued_elements,
            std::size_t max_message_bytes = std::size_t{64} << 20);

  // Before a unary call's request is read (its bytes received from the
  // transport): the read claims from the budget room for a request of the
  // size requests have had lately (read_estimate()) and for a response as
  // large -- what admitting it will take -- or the call is refused at once with
  // RESOURCE_EXHAUSTED -- before its payload is received -- when the budget
  // cannot hold that or the compute queue is full. So a flood of large
  // requests is shed at the door instead of being received only to be
  // refused, and the transport never holds more than the budget allows.
  absl::StatusOr<ReadTicket> StartRead();
  // The request has arrived with `bytes`: the estimate learns the size. The
  // claim stays until the call is admitted (Admit) or ends.
  void ReadDone(std::size_t bytes);
  // What a read claims: follows the sizes read -- up at once to a larger
  // one, down by half the gap per smaller one -- between 64 KiB and
  // max_message_bytes. It starts at a 64th of the budget (so an idle server
  // reads 64 requests at once before it has seen any), within those bounds.
  std::size_t read_estimate() const {
    return read_estimate_.load(std::memory_order_relaxed);
  }
  static constexpr std::size_t kMinReadEstimate = std::size_t{64} << 10;

  // Admits a call holding a received message of `request_bytes` whose
  // response takes `response_bytes` and whose computation reads `elements`
  // values; on success *response is a buffer of at least response_bytes
  // from the pool. RESOURCE_EXHAUSTED, saying which limit and by how much:
  // the memory budget cannot hold request + response (even with the pool's
  // idle buffers freed), or the compute queue is full. `read`, if given: the
  // claim the call's read holds, given back just before the call takes its
  // own (so the room it kept goes to this call, not to another read).
  absl::StatusOr<Ticket> Admit(std::size_t request_bytes,
                               std::size_t response_bytes,
                               std::size_t elements,
                               BufferPool::Buffer** response,
                               ReadTicket* read = nullptr);

  // Claims held (Tickets and ReadTickets alive): calls being received,
  // computed or sent. A hint for the compute engine: more than the asking
  // call's own means other work is on its way to the compute threads.
  std::size_t claims() const { return claims_.load(std::memory_order_relaxed); }

  // Values admitted and not yet computed.
  std::size_t queued_elements() const {
    return queued_.load(std::memory_order_relaxed);
  }
  std::uint64_t refused_memory() const {
    return refused_memory_.load(std::memory_order_relaxed);
  }
  std::uint64_t refused_queue() const {
    return refused_queue_.load(std::memory_order_relaxed);
  }
  // Calls refused before their request was read (also counted in
  // refused_memory or refused_queue).
  std::uint64_t refused_before_read() const {
    return refused_before_read_.load(std::memory_order_relaxed);
  }
  const MemoryBudget& budget() const { return *budget_; }
  BufferPool& pool() { return *pool_; }

 private:
  MemoryBudget* const budget_;
  BufferPool* const pool_;
  const std::size_t max_queued_;
  const std::size_t max_message_bytes_;
  std::atomic<std::size_t> read_estimate_;
  std::atomic<std::uint64_t> refused_before_read_{0};
  std::atomic<std::size_t> queued_{0};
  std::atomic<std::size_t> claims_{0};
  std::atomic<std::uint64_t> refused_memory_{0};
  std::atomic<std::uint64_t> refused_queue_{0};
};

}  // namespace actserver

#endif  // SERVER_ADMISSION_H_
