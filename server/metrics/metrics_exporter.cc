#include "server/metrics/metrics_exporter.h"

#include <grpcpp/grpcpp.h>

#include "activations/evaluate.h"
#include "server/metrics/process_metrics.h"
#include "server/metrics/text_format.h"

#ifndef ACTSVC_VERSION
#error "ACTSVC_VERSION must be defined by the build (the project's version)"
#endif

namespace actserver::metrics {

BuildInfo CurrentBuildInfo() {
  BuildInfo info;
  info.version = ACTSVC_VERSION;
  info.simd_target = std::string(activations::SimdTarget());
  info.grpc_version = grpc::Version();
  return info;
}

std::string RenderScrape(const ServerMetrics& metrics, const BuildInfo& build) {
  TextFormatWriter w;
  w.Family("actsvc_build_info", MetricType::kGauge,
           "Always 1; the labels name this replica's build and the SIMD "
           "target its kernels run.");
  w.Sample("actsvc_build_info",
           {{"version", build.version},
            {"simd_target", build.simd_target},
            {"grpc_version", build.grpc_version}},
           1.0);
  metrics.Render(w);
  // /proc unreadable (not Linux, or hidden): the process_* families are left
  // out rather than exported as zeros that would look real.
  if (absl::StatusOr<ProcessMetrics> process = ReadProcessMetrics();
      process.ok()) {
    RenderProcessMetrics(*process, w);
  }
  return w.Take();
}

}  // namespace actserver::metrics
