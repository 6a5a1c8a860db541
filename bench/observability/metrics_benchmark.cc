// What recording costs per request, without the noise of a loaded machine's
// end-to-end rate: the exact work service.cc adds to one RPC (a
// CallRecorder's start, one request's labels, its finish), with the access
// log off and on, single-threaded and with threads contending for the same
// counters; and what one scrape costs the server. Compare the ns here with
// the server CPU per small request that metrics_cost.py measures (~20 us).
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "activation/v1/activation.pb.h"
#include "server/metrics/access_log.h"
#include "server/metrics/call_recorder.h"
#include "server/metrics/metrics_exporter.h"
#include "server/metrics/request_labels.h"
#include "server/metrics/server_metrics.h"

namespace actserver::metrics {
namespace {

namespace v1 = ::activation::v1;

ServerMetrics& Registry() {
  static ServerMetrics* registry = new ServerMetrics(ApiLabelValues());
  return *registry;
}

v1::ComputeRequest SmallRequest() {
  v1::ComputeRequest request;
  request.set_id("r-1");
  request.set_function("gelu");
  request.set_mode(v1::MODE_FORWARD);
  request.mutable_input()->mutable_raw()->set_dtype(v1::DTYPE_FLOAT32);
  request.mutable_input()->mutable_raw()->set_data(std::string(16 * 4, '\0'));
  return request;
}

// One unary RPC's recording, as ActivationServiceImpl::Compute does it.
void RecordOneCall(const Observability& observability,
                   const grpc::CallbackServerContext* context,
                   const v1::ComputeRequest& request) {
  CallRecorder call(observability, Rpc::kCompute, context,
                    request.ByteSizeLong(), request.id());
  call.AddRequest(LabelsOf(request), 16);
  observability.metrics->QueueDepthAdd(1);
  observability.metrics->QueueDepthAdd(-1);
  call.Finish(absl::OkStatus(), 80);
}

void BM_RecordUnaryCall(benchmark::State& state) {
  const Observability observability{&Registry(), nullptr};
  grpc::CallbackServerContext context;
  const v1::ComputeRequest request = SmallRequest();
  for (auto _ : state) RecordOneCall(observability, &context, request);
}
BENCHMARK(BM_RecordUnaryCall)->Threads(1)->Threads(2)->UseRealTime();

void BM_RecordUnaryCallWithAccessLog(benchmark::State& state) {
  static AccessLog* log = AccessLog::Open("/dev/null")->release();
  const Observability observability{&Registry(), log};
  grpc::CallbackServerContext context;
  const v1::ComputeRequest request = SmallRequest();
  for (auto _ : state) RecordOneCall(observability, &context, request);
}
BENCHMARK(BM_RecordUnaryCallWithAccessLog)->Threads(1)->Threads(2)->UseRealTime();

void BM_LabelsOf(benchmark::State& state) {
  const v1::ComputeRequest request = SmallRequest();
  for (auto _ : state) benchmark::DoNotOptimize(LabelsOf(request));
}
BENCHMARK(BM_LabelsOf);

// One /metrics answer: the registry, /proc and the text, for a registry in
// which every RPC, function, mode and dtype has counted something.
void BM_RenderScrape(benchmark::State& state) {
  ServerMetrics& registry = Registry();
  const ServerMetrics::LabelValues& v = registry.label_values();
  for (int r = 0; r < kNumRpcs; ++r) {
    for (int f = 1; f <= static_cast<int>(v.functions.size()); ++f) {
      for (int m = 1; m <= static_cast<int>(v.modes.size()); ++m) {
        for (int d = 1; d <= static_cast<int>(v.dtypes.size()); ++d) {
          registry.RequestDone(static_cast<Rpc>(r), {f, m, d}, 0, 100);
        }
      }
    }
  }
  const BuildInfo build = CurrentBuildInfo();
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = RenderScrape(registry, build);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderScrape)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace actserver::metrics

BENCHMARK_MAIN();
