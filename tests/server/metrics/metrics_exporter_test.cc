// A whole scrape, with every family holding data, checked by Prometheus's own
// parser and linter (`promtool check metrics`, Debian's prometheus package):
// the format, the naming conventions (_total, base units), HELP on every
// family.
#include "server/metrics/metrics_exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "server/metrics/request_labels.h"

#ifndef PROMTOOL_PATH
#error "PROMTOOL_PATH must name promtool"
#endif

namespace actserver::metrics {
namespace {

using ::testing::HasSubstr;

std::string BusyScrape() {
  ServerMetrics m(ApiLabelValues());
  for (int r = 0; r < kNumRpcs; ++r) {
    const Rpc rpc = static_cast<Rpc>(r);
    m.RpcStarted(rpc);
    m.RequestDone(rpc, {1, 1, 1}, 0, 1000);
    m.RequestDone(rpc, {0, 0, 0}, 3, 0);
    m.ObserveLatency(rpc, absl::Microseconds(120 * (r + 1)));
    m.AddBytes(rpc, 4096, 4100);
    m.RpcFinished(rpc, 0);
  }
  m.RpcStarted(Rpc::kComputeStream);
  m.StreamMessageReceived();
  m.StreamMessageSent();
  m.QueueDepthAdd(2);
  m.Refused(RefusalReason::kQueueFull);
  m.RegisterCallback("actsvc_memory_budget_bytes", MetricType::kGauge,
                     "Bytes of the memory budget.", [] { return 1e9; });
  BuildInfo build = CurrentBuildInfo();
  return RenderScrape(m, build);
}

TEST(MetricsExporterTest, BuildInfoNamesVersionSimdTargetAndGrpc) {
  const BuildInfo build = CurrentBuildInfo();
  EXPECT_FALSE(build.version.empty());
  EXPECT_FALSE(build.simd_target.empty());
  EXPECT_FALSE(build.grpc_version.empty());
  EXPECT_THAT(BusyScrape(),
              HasSubstr("actsvc_build_info{version=\"" + build.version +
                        "\",simd_target=\"" + build.simd_target +
                        "\",grpc_version=\"" + build.grpc_version + "\"} 1\n"));
}

TEST(MetricsExporterTest, HasEveryFamily) {
  const std::string text = BusyScrape();
  for (const char* family :
       {"actsvc_build_info", "actsvc_rpcs_total", "actsvc_rpcs_in_flight",
        "actsvc_requests_total", "actsvc_request_duration_seconds",
        "actsvc_request_elements", "actsvc_elements_total",
        "actsvc_received_bytes_total", "actsvc_sent_bytes_total",
        "actsvc_streams_started_total",
        "actsvc_stream_messages_received_total",
        "actsvc_stream_messages_sent_total", "actsvc_compute_queue_depth",
        "actsvc_requests_refused_total", "actsvc_memory_budget_bytes",
        "process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
        "process_threads", "process_start_time_seconds"}) {
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + family + " "))
        << family;
  }
}

TEST(MetricsExporterTest, PromtoolAcceptsTheScrape) {
  const std::string path = ::testing::TempDir() + "/scrape.prom";
  {
    std::ofstream file(path);
    file << BusyScrape();
  }
  const std::string output_path = path + ".out";
  const std::string command = std::string(PROMTOOL_PATH) +
                              " check metrics < " + path + " > " +
                              output_path + " 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream output(output_path);
  const std::string complaints((std::istreambuf_iterator<char>(output)), {});
  EXPECT_EQ(rc, 0) << command << ":\n" << complaints;
  EXPECT_EQ(complaints, "");
}

TEST(MetricsExporterTest, PromtoolCatchesABrokenScrape) {
  // The check above can fail: a counter without _total and a sample before
  // its family's TYPE line are rejected.
  const std::string path = ::testing::TempDir() + "/broken.prom";
  {
    std::ofstream file(path);
    file << "# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n";
  }
  const std::string command =
      std::string(PROMTOOL_PATH) + " check metrics < " + path + " >/dev/null 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace actserver::metrics
