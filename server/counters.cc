#include "server/counters.h"

#include "absl/strings/str_cat.h"

namespace actserver {

ServiceCounters::Snapshot ServiceCounters::Get() const {
  Snapshot s;
  s.rpcs = rpcs_.load(std::memory_order_relaxed);
  s.requests = requests_.load(std::memory_order_relaxed);
  s.elements = elements_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  return s;
}

std::string ServiceCounters::ToString() const {
  const Snapshot s = Get();
  return absl::StrCat(s.rpcs, " RPCs, ", s.requests, " requests, ", s.elements,
                      " elements, ", s.errors, " errors");
}

}  // namespace actserver
