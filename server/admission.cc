#include "server/admission.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/byte_size.h"

namespace actserver {

Admission::Ticket& Admission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    admission_ = std::exchange(other.admission_, nullptr);
    request_bytes_ = std::exchange(other.request_bytes_, 0);
    elements_ = std::exchange(other.elements_, 0);
  }
  return *this;
}

void Admission::Ticket::LeaveQueue() {
  if (admission_ == nullptr || elements_ == 0) return;
  admission_->queued_.fetch_sub(elements_, std::memory_order_relaxed);
  elements_ = 0;
}

void Admission::Ticket::Release() {
  if (admission_ == nullptr) return;
  LeaveQueue();
  admission_->budget_->Release(request_bytes_);
  admission_->claims_.fetch_sub(1, std::memory_order_relaxed);
  request_bytes_ = 0;
  admission_ = nullptr;
}

Admission::Admission(MemoryBudget* budget, BufferPool* pool,
                     std::size_t max_queued_elements,
                     std::size_t max_message_bytes)
    : budget_(budget),
      pool_(pool),
      max_queued_(max_queued_elements),
      max_message_bytes_(std::max(max_message_bytes, kMinReadEstimate)),
      read_estimate_(std::clamp(budget->limit() / 64, kMinReadEstimate,
                                max_message_bytes_)) {}

absl::StatusOr<Admission::ReadTicket> Admission::StartRead() {
  const std::size_t queued = queued_.load(std::memory_order_relaxed);
  if (queued >= max_queued_) {
    refused_queue_.fetch_add(1, std::memory_order_relaxed);
    refused_before_read_.fetch_add(1, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(absl::StrCat(
        "compute queue full: ", queued, " values are queued (limit ",
        max_queued_, ", --max_queued_elements); retry later"));
  }
  const std::size_t bytes =
      std::min(2 * read_estimate_.load(std::memory_order_relaxed),
               budget_->limit());
  if (!pool_->TryClaim(bytes)) {
    refused_memory_.fetch_add(1, std::memory_order_relaxed);
    refused_before_read_.fetch_add(1, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(absl::StrCat(
        "memory budget: ", HumanBytes(budget_->used()), " of ",
        HumanBytes(budget_->limit()),
        " are in use by other calls, no room to receive this call's request "
        "(recent requests: up to ", HumanBytes(bytes / 2),
        ", and as much for the response) (--memory_budget); retry later"));
  }
  ReadTicket ticket;
  ticket.admission_ = this;
  claims_.fetch_add(1, std::memory_order_relaxed);
  ticket.request_bytes_ = bytes;
  return ticket;
}

void Admission::ReadDone(std::size_t bytes) {
  const std::size_t seen =
      std::clamp(bytes, kMinReadEstimate, max_message_bytes_);
  std::size_t estimate = read_estimate_.load(std::memory_order_relaxed);
  std::size_t next;
  do {
    next = seen >= estimate ? seen : estimate - (estimate - seen + 1) / 2;
  } while (next != estimate &&
           !read_estimate_.compare_exchange_weak(estimate, next,
                                                 std::memory_order_relaxed));
}

absl::StatusOr<Admission::Ticket> Admission::Admit(
    std::size_t request_bytes, std::size_t response_bytes, std::size_t elements,
    BufferPool::Buffer** response, ReadTicket* read) {
  // The queue first: it costs nothing to check, and a full queue means the
  // call would wait too long even if it fit in memory.
  std::size_t queued = queued_.load(std::memory_order_relaxed);
  do {
    if (queued > 0 && queued + elements > max_queued_) {
      refused_queue_.fetch_add(1, std::memory_order_relaxed);
      return absl::ResourceExhaustedError(absl::StrCat(
          "compute queue full: ", queued, " values are queued ahead of this "
          "call's ", elements, " (limit ", max_queued_,
          ", --max_queued_elements); retry later"));
    }
  } while (!queued_.compare_exchange_weak(queued, queued + elements,
                                          std::memory_order_relaxed));
  Ticket ticket;
  ticket.admission_ = this;
  claims_.fetch_add(1, std::memory_order_relaxed);
  ticket.elements_ = elements;

  const std::size_t needed = request_bytes + response_bytes;
  auto refuse_memory = [&] {
    refused_memory_.fetch_add(1, std::memory_order_relaxed);
    const std::string need =
        absl::StrCat("this call needs ", HumanBytes(needed), " (request ",
                     HumanBytes(request_bytes), " + response ",
                     HumanBytes(response_bytes), ")");
    if (needed > budget_->limit()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "memory budget: ", need, ", more than this server's whole budget "
          "of ", HumanBytes(budget_->limit()),
          " (--memory_budget); send smaller requests"));
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        "memory budget: ", need, " and ", HumanBytes(budget_->used()), " of ",
        HumanBytes(budget_->limit()),
        " are in use by other calls (--memory_budget); retry later"));
  };
  if (needed > budget_->limit()) return refuse_memory();
  if (read != nullptr) read->Release();
  *response = pool_->Acquire(response_bytes);
  if (*response == nullptr) return refuse_memory();
  if (!budget_->TryAcquire(request_bytes)) {
    pool_->Return(*response);
    *response = nullptr;
    return refuse_memory();
  }
  ticket.request_bytes_ = request_bytes;
  return ticket;
}

}  // namespace actserver
