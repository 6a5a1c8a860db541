// What one server replica has served, for its shutdown line and for checking
// that a load balancer spread the work (every replica keeps its own).
#ifndef SERVER_COUNTERS_H_
#define SERVER_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace actserver {

// Thread-safe; relaxed atomics, since the numbers are only ever read as a
// summary and need no ordering with the data they count.
class ServiceCounters {
 public:
  struct Snapshot {
    std::uint64_t rpcs = 0;      // RPCs started, of every method
    std::uint64_t requests = 0;  // computations that succeeded
    std::uint64_t elements = 0;  // input values of those computations
    std::uint64_t errors = 0;    // computations that failed
  };

  void AddRpc() { rpcs_.fetch_add(1, std::memory_order_relaxed); }
  void AddRequests(std::uint64_t requests, std::uint64_t elements) {
    requests_.fetch_add(requests, std::memory_order_relaxed);
    elements_.fetch_add(elements, std::memory_order_relaxed);
  }
  void AddError() { errors_.fetch_add(1, std::memory_order_relaxed); }

  Snapshot Get() const;

  // "12 RPCs, 40 requests, 40960 elements, 1 errors": one stable format,
  // which deployment tests parse.
  std::string ToString() const;

 private:
  std::atomic<std::uint64_t> rpcs_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> elements_{0};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace actserver

#endif  // SERVER_COUNTERS_H_
