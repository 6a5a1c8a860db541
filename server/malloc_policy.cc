#include "server/malloc_policy.h"

#include <malloc.h>

#include <climits>

#include "absl/strings/str_cat.h"

namespace actserver {
namespace {

absl::Status Set(int option, std::size_t value, const char* name) {
  if (value > static_cast<std::size_t>(INT_MAX) ||
      mallopt(option, static_cast<int>(value)) != 1) {
    return absl::InternalError(
        absl::StrCat("mallopt(", name, ", ", value, ") was refused"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyMallocPolicy(const MallocPolicy& policy) {
  if (absl::Status s = Set(M_TRIM_THRESHOLD, policy.trim_threshold,
                           "M_TRIM_THRESHOLD");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Set(M_MMAP_THRESHOLD, policy.mmap_threshold,
                           "M_MMAP_THRESHOLD");
      !s.ok()) {
    return s;
  }
  return Set(M_ARENA_MAX, static_cast<std::size_t>(policy.arenas),
             "M_ARENA_MAX");
}

}  // namespace actserver
