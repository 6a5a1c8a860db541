// The process_* metrics every Prometheus client library exports (the names
// client_golang and client_python use, so that stock dashboards work), read
// from Linux's /proc/self at scrape time.
#ifndef SERVER_METRICS_PROCESS_METRICS_H_
#define SERVER_METRICS_PROCESS_METRICS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "server/metrics/text_format.h"

namespace actserver::metrics {

struct ProcessMetrics {
  double cpu_seconds = 0;             // user + system, all threads
  std::uint64_t resident_bytes = 0;   // RSS
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;          // RLIMIT_NOFILE soft limit
  std::uint64_t threads = 0;
  double start_time_seconds = 0;      // since the Unix epoch
};

// Reads /proc/self/stat, /proc/self/fd and the fd limit. UNAVAILABLE when
// /proc is not mounted or not Linux's. Thread-safe.
absl::StatusOr<ProcessMetrics> ReadProcessMetrics();

// Appends the process_* families: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_threads,
// process_start_time_seconds.
void RenderProcessMetrics(const ProcessMetrics& m, TextFormatWriter& writer);

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_PROCESS_METRICS_H_
