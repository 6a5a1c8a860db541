#include "server/metrics/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

namespace actserver::metrics {
namespace {

using ::testing::HasSubstr;

TEST(ProcessMetricsTest, ReadsPlausibleFigures) {
  absl::StatusOr<ProcessMetrics> m = ReadProcessMetrics();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_GT(m->resident_bytes, 1u << 20);  // a gtest binary is > 1 MiB
  EXPECT_GE(m->virtual_bytes, m->resident_bytes);
  EXPECT_GE(m->open_fds, 3u);               // stdin, stdout, stderr
  EXPECT_GE(m->max_fds, m->open_fds);
  EXPECT_GE(m->threads, 1u);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(m->start_time_seconds, now + 1);
  EXPECT_GT(m->start_time_seconds, now - 3600);  // started within the hour
}

TEST(ProcessMetricsTest, FollowsFdsThreadsAndCpu) {
  const ProcessMetrics before = *ReadProcessMetrics();
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(open("/dev/null", O_RDONLY));
  std::atomic<bool> stop{false};
  std::thread spinner([&stop] {
    while (!stop.load()) {
    }
  });
  // Spin on this thread too until the process's CPU clock has moved 0.1 s
  // (however busy the machine), or 20 s have passed.
  const auto cpu_now = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  const double cpu_start = cpu_now();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (cpu_now() - cpu_start < 0.1 &&
         std::chrono::steady_clock::now() < until) {
  }
  const ProcessMetrics during = *ReadProcessMetrics();
  stop = true;
  spinner.join();
  for (int fd : fds) close(fd);
  EXPECT_EQ(during.open_fds, before.open_fds + 5);
  EXPECT_EQ(during.threads, before.threads + 1);
  // /proc counts in clock ticks (10 ms): 0.1 s reads as at least 0.08.
  EXPECT_GE(during.cpu_seconds - before.cpu_seconds, 0.08);
}

TEST(ProcessMetricsTest, RendersTheStandardNames) {
  ProcessMetrics m;
  m.cpu_seconds = 1.25;
  m.resident_bytes = 4096;
  m.open_fds = 7;
  m.threads = 3;
  TextFormatWriter w;
  RenderProcessMetrics(m, w);
  const std::string text = w.Take();
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"
                              "process_cpu_seconds_total 1.25\n"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes 4096\n"));
  EXPECT_THAT(text, HasSubstr("process_open_fds 7\n"));
  EXPECT_THAT(text, HasSubstr("process_threads 3\n"));
  EXPECT_THAT(text, HasSubstr("process_max_fds 0\n"));
  EXPECT_THAT(text, HasSubstr("process_start_time_seconds 0\n"));
}

}  // namespace
}  // namespace actserver::metrics
