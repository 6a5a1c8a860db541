#include "server/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace actserver::metrics {
namespace {

absl::StatusOr<std::string> ReadAll(const char* path) {
  std::ifstream file(path);
  if (!file) {
    return absl::UnavailableError(std::string("cannot read ") + path);
  }
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// The boot time from /proc/stat's "btime" line, in seconds since the epoch.
absl::StatusOr<double> BootTime() {
  absl::StatusOr<std::string> stat = ReadAll("/proc/stat");
  if (!stat.ok()) return stat.status();
  for (absl::string_view line : absl::StrSplit(*stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      double t = 0;
      if (absl::SimpleAtod(line, &t)) return t;
    }
  }
  return absl::UnavailableError("/proc/stat has no btime line");
}

}  // namespace

absl::StatusOr<ProcessMetrics> ReadProcessMetrics() {
  absl::StatusOr<std::string> stat = ReadAll("/proc/self/stat");
  if (!stat.ok()) return stat.status();
  // Field 2, the command, is in parentheses and may hold spaces: the fields
  // that follow start after the last ')'.
  const std::size_t close = stat->rfind(')');
  if (close == std::string::npos) {
    return absl::UnavailableError("/proc/self/stat: no ')' after the command");
  }
  const std::vector<absl::string_view> f = absl::StrSplit(
      absl::string_view(*stat).substr(close + 2), ' ', absl::SkipEmpty());
  // proc(5) numbers the fields from 1 and the command is 2, so field n is
  // f[n - 3]: utime 14, stime 15, num_threads 20, starttime 22, vsize 23,
  // rss 24 (pages).
  if (f.size() < 22) {
    return absl::UnavailableError("/proc/self/stat: too few fields");
  }
  const auto field = [&](int n) {
    std::uint64_t v = 0;
    (void)absl::SimpleAtoi(f[n - 3], &v);
    return v;
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const std::uint64_t page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));

  ProcessMetrics m;
  m.cpu_seconds = static_cast<double>(field(14) + field(15)) / ticks;
  m.threads = field(20);
  m.virtual_bytes = field(23);
  m.resident_bytes = field(24) * page;
  absl::StatusOr<double> boot = BootTime();
  if (boot.ok()) {
    m.start_time_seconds = *boot + static_cast<double>(field(22)) / ticks;
  }

  if (DIR* dir = opendir("/proc/self/fd")) {
    std::uint64_t n = 0;
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++n;
    }
    closedir(dir);
    m.open_fds = n - 1;  // not the directory's own descriptor
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    m.max_fds = static_cast<std::uint64_t>(limit.rlim_cur);
  }
  return m;
}

void RenderProcessMetrics(const ProcessMetrics& m, TextFormatWriter& w) {
  w.Family("process_cpu_seconds_total", MetricType::kCounter,
           "Total user and system CPU time spent in seconds.");
  w.Sample("process_cpu_seconds_total", {}, m.cpu_seconds);
  w.Family("process_resident_memory_bytes", MetricType::kGauge,
           "Resident memory size in bytes.");
  w.Sample("process_resident_memory_bytes", {}, m.resident_bytes);
  w.Family("process_virtual_memory_bytes", MetricType::kGauge,
           "Virtual memory size in bytes.");
  w.Sample("process_virtual_memory_bytes", {}, m.virtual_bytes);
  w.Family("process_open_fds", MetricType::kGauge,
           "Number of open file descriptors.");
  w.Sample("process_open_fds", {}, m.open_fds);
  w.Family("process_max_fds", MetricType::kGauge,
           "Maximum number of open file descriptors.");
  w.Sample("process_max_fds", {}, m.max_fds);
  w.Family("process_threads", MetricType::kGauge, "Number of OS threads.");
  w.Sample("process_threads", {}, m.threads);
  w.Family("process_start_time_seconds", MetricType::kGauge,
           "Start time of the process since unix epoch in seconds.");
  w.Sample("process_start_time_seconds", {}, m.start_time_seconds);
}

}  // namespace actserver::metrics
