// Renders one whole scrape: the registry's families, the process_* metrics
// and actsvc_build_info, in the Prometheus text format. The HTTP side is
// metrics_http_server.h; this is what it serves.
#ifndef SERVER_METRICS_METRICS_EXPORTER_H_
#define SERVER_METRICS_METRICS_EXPORTER_H_

#include <string>

#include "server/metrics/server_metrics.h"

namespace actserver::metrics {

// The labels of actsvc_build_info (value 1), which dashboards join on to
// tell replicas of different builds or CPUs apart.
struct BuildInfo {
  std::string version;      // the project's version, "0.1.0"
  std::string simd_target;  // the kernels' dispatched target, "AVX2"
  std::string grpc_version; // grpc::Version(), "1.51.1"
};

// This binary's: ACTSVC_VERSION (from CMake's project version), the SIMD
// target activations::SimdTarget() dispatches to, and gRPC's version.
BuildInfo CurrentBuildInfo();

// Everything /metrics answers. Thread-safe (reads /proc and the registry).
std::string RenderScrape(const ServerMetrics& metrics, const BuildInfo& build);

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_METRICS_EXPORTER_H_
