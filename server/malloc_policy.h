// The server's policy for glibc malloc, set once at start-up.
//
// With glibc's defaults a server that receives megabyte messages gives their
// memory back to the kernel after every call and takes it again on the next:
// a 1 Mi float32 call (4 MiB each way) cost ~500 page faults in the server
// (docs/benchmarks.md, "RPC path"). Response buffers come from our own pool
// (memory_budget.h); what is left to malloc is gRPC's transport -- 8 and
// 64 KiB read buffers, frames -- and small objects. So: keep up to
// `trim_threshold` bytes of freed memory for reuse instead of returning it
// at once, serve allocations below `mmap_threshold` from the heap, and use at
// most `arenas` heaps so the retained memory stays a known, small multiple of
// the threshold rather than one per thread.
#ifndef SERVER_MALLOC_POLICY_H_
#define SERVER_MALLOC_POLICY_H_

#include <cstddef>

#include "absl/status/status.h"

namespace actserver {

struct MallocPolicy {
  std::size_t trim_threshold = std::size_t{64} << 20;
  // glibc caps it at 32 MiB on 64-bit hosts.
  std::size_t mmap_threshold = std::size_t{32} << 20;
  int arenas = 4;
};

// Applies `policy` with mallopt. Call before other threads start (main()).
// INTERNAL if glibc refuses a setting (it names which). A malloc other than
// glibc's (LD_PRELOAD) ignores mallopt: then this does nothing harmful.
absl::Status ApplyMallocPolicy(const MallocPolicy& policy);

}  // namespace actserver

#endif  // SERVER_MALLOC_POLICY_H_
