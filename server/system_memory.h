// How much memory this process may use: the container's limit (cgroup v2
// memory.max, or v1 memory.limit_in_bytes) when there is one, else the
// machine's physical memory. The server's default memory budget derives from
// it, so that a pod given 1 GiB budgets for 1 GiB without a flag.
#ifndef SERVER_SYSTEM_MEMORY_H_
#define SERVER_SYSTEM_MEMORY_H_

#include <cstddef>
#include <optional>
#include <string>

namespace actserver {

struct MemoryLimit {
  std::size_t bytes = 0;
  std::string source;  // "cgroup v2 memory.max", "physical memory", ...
};

// The cgroup limit from the files under `cgroup_root` ("/sys/fs/cgroup" in
// production), or nullopt if none is set ("max", absent, or larger than
// physical memory). Thread-compatible.
std::optional<MemoryLimit> CgroupMemoryLimit(
    const std::string& cgroup_root = "/sys/fs/cgroup");

// The cgroup limit if there is one, else physical memory.
MemoryLimit ProcessMemoryLimit();

// The default memory budget for requests and responses: kDefaultBudgetShare
// of ProcessMemoryLimit(). The rest is for the process itself (code, gRPC's
// and TBB's threads and caches) and for requests gRPC is still receiving,
// which are not ours to count until they arrive.
inline constexpr double kDefaultBudgetShare = 0.5;
std::size_t DefaultMemoryBudget();

}  // namespace actserver

#endif  // SERVER_SYSTEM_MEMORY_H_
