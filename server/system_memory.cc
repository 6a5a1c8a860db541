#include "server/system_memory.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace actserver {
namespace {

std::optional<std::size_t> ReadBytes(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text;
  in >> text;
  std::size_t value = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;  // "max" or garbage
  }
  return value;
}

std::size_t PhysicalMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0
             ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page)
             : 0;
}

}  // namespace

std::optional<MemoryLimit> CgroupMemoryLimit(const std::string& cgroup_root) {
  std::optional<MemoryLimit> limit;
  if (std::optional<std::size_t> v2 = ReadBytes(cgroup_root + "/memory.max")) {
    limit = MemoryLimit{*v2, "cgroup v2 memory.max"};
  } else if (std::optional<std::size_t> v1 =
                 ReadBytes(cgroup_root + "/memory/memory.limit_in_bytes")) {
    limit = MemoryLimit{*v1, "cgroup v1 memory.limit_in_bytes"};
  }
  // cgroup v1 spells "no limit" as a huge number.
  const std::size_t physical = PhysicalMemory();
  if (limit.has_value() && physical > 0 && limit->bytes >= physical) {
    return std::nullopt;
  }
  return limit;
}

MemoryLimit ProcessMemoryLimit() {
  if (std::optional<MemoryLimit> cgroup = CgroupMemoryLimit()) return *cgroup;
  return MemoryLimit{PhysicalMemory(), "physical memory"};
}

std::size_t DefaultMemoryBudget() {
  return static_cast<std::size_t>(
      static_cast<double>(ProcessMemoryLimit().bytes) * kDefaultBudgetShare);
}

}  // namespace actserver
