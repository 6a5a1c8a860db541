#include "server/metrics/server_metrics.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/status/status.h"

namespace actserver::metrics {
namespace {

constexpr std::uint64_t kUs = 1000;
constexpr std::uint64_t kMs = 1000 * kUs;
constexpr std::uint64_t kS = 1000 * kMs;
constexpr std::array<std::uint64_t, 17> kLatencyBucketsNs = {
    50 * kUs,  100 * kUs, 250 * kUs, 500 * kUs, 1 * kMs,   2500 * kUs,
    5 * kMs,   10 * kMs,  25 * kMs,  50 * kMs,  100 * kMs, 250 * kMs,
    500 * kMs, 1 * kS,    2500 * kMs, 5 * kS,   10 * kS};

constexpr std::array<std::uint64_t, 13> MakeSizeBuckets() {
  std::array<std::uint64_t, 13> b{};
  std::uint64_t v = 1;
  for (std::uint64_t& bound : b) {
    bound = v;
    v *= 4;
  }
  return b;
}
constexpr std::array<std::uint64_t, 13> kSizeBuckets = MakeSizeBuckets();

constexpr double kNsPerSecond = 1e9;

int ClampCode(int code) {
  return code >= 0 && code < kNumStatusCodes ? code : 2;  // UNKNOWN
}

std::string CodeName(int code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// Label value of slot `index` of a dimension (0 is "unknown").
absl::string_view SlotName(const std::vector<std::string>& names, int index) {
  return index == 0 ? absl::string_view("unknown")
                    : absl::string_view(names[index - 1]);
}

int ClampSlot(int index, int size) {
  return index > 0 && index < size ? index : 0;
}

template <typename T>
std::unique_ptr<std::atomic<T>[]> ZeroedAtomics(std::size_t n) {
  std::unique_ptr<std::atomic<T>[]> a(new std::atomic<T>[n]);
  for (std::size_t i = 0; i < n; ++i) a[i].store(0, std::memory_order_relaxed);
  return a;
}

}  // namespace

absl::string_view RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kCompute:
      return "Compute";
    case Rpc::kComputeBatch:
      return "ComputeBatch";
    case Rpc::kComputeStream:
      return "ComputeStream";
    case Rpc::kListActivations:
      return "ListActivations";
  }
  return "unknown";
}

absl::string_view RefusalReasonName(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kMemoryBudget:
      return "memory_budget";
    case RefusalReason::kQueueFull:
      return "queue_full";
    case RefusalReason::kDeadlineExpired:
      return "deadline_expired";
  }
  return "unknown";
}

std::span<const std::uint64_t> LatencyBucketsNs() { return kLatencyBucketsNs; }
std::span<const std::uint64_t> SizeBuckets() { return kSizeBuckets; }

ServerMetrics::ServerMetrics(LabelValues values)
    : values_(std::move(values)),
      functions_(static_cast<int>(values_.functions.size()) + 1),
      modes_(static_cast<int>(values_.modes.size()) + 1),
      dtypes_(static_cast<int>(values_.dtypes.size()) + 1),
      requests_(ZeroedAtomics<std::uint64_t>(
          std::size_t{kNumRpcs} * functions_ * modes_ * dtypes_ *
          kNumStatusCodes)),
      elements_(ZeroedAtomics<std::uint64_t>(std::size_t{1} * functions_ *
                                             dtypes_)) {
  for (int i = 0; i < kNumRpcs; ++i) {
    latency_.push_back(std::make_unique<Histogram>(LatencyBucketsNs()));
    sizes_.push_back(std::make_unique<Histogram>(SizeBuckets()));
  }
}

ServerMetrics::~ServerMetrics() = default;

std::size_t ServerMetrics::RequestIndex(Rpc rpc, const RequestLabels& labels,
                                        int code) const {
  std::size_t i = static_cast<std::size_t>(rpc);
  i = i * functions_ + ClampSlot(labels.function, functions_);
  i = i * modes_ + ClampSlot(labels.mode, modes_);
  i = i * dtypes_ + ClampSlot(labels.dtype, dtypes_);
  return i * kNumStatusCodes + ClampCode(code);
}

void ServerMetrics::RpcStarted(Rpc rpc) {
  in_flight_[static_cast<int>(rpc)].fetch_add(1, std::memory_order_relaxed);
  if (rpc == Rpc::kComputeStream) {
    streams_started_.fetch_add(1, std::memory_order_relaxed);
  }
}

void ServerMetrics::RpcFinished(Rpc rpc, int code) {
  const int r = static_cast<int>(rpc);
  in_flight_[r].fetch_sub(1, std::memory_order_relaxed);
  rpcs_[r][ClampCode(code)].fetch_add(1, std::memory_order_relaxed);
}

void ServerMetrics::RequestDone(Rpc rpc, const RequestLabels& labels,
                                int code, std::uint64_t elements) {
  requests_[RequestIndex(rpc, labels, code)].fetch_add(
      1, std::memory_order_relaxed);
  if (code != 0) return;
  sizes_[static_cast<int>(rpc)]->Observe(elements);
  const std::size_t e =
      static_cast<std::size_t>(ClampSlot(labels.function, functions_)) *
          dtypes_ +
      ClampSlot(labels.dtype, dtypes_);
  elements_[e].fetch_add(elements, std::memory_order_relaxed);
}

void ServerMetrics::ObserveLatency(Rpc rpc, absl::Duration latency) {
  const std::int64_t ns = absl::ToInt64Nanoseconds(latency);
  latency_[static_cast<int>(rpc)]->Observe(
      ns > 0 ? static_cast<std::uint64_t>(ns) : 0);
}

void ServerMetrics::AddBytes(Rpc rpc, std::uint64_t received,
                             std::uint64_t sent) {
  const int r = static_cast<int>(rpc);
  if (received != 0) {
    received_bytes_[r].fetch_add(received, std::memory_order_relaxed);
  }
  if (sent != 0) sent_bytes_[r].fetch_add(sent, std::memory_order_relaxed);
}

void ServerMetrics::StreamMessageReceived() {
  stream_received_.fetch_add(1, std::memory_order_relaxed);
}

void ServerMetrics::StreamMessageSent() {
  stream_sent_.fetch_add(1, std::memory_order_relaxed);
}

void ServerMetrics::QueueDepthAdd(std::int64_t delta) {
  queue_depth_.fetch_add(delta, std::memory_order_relaxed);
}

void ServerMetrics::Refused(RefusalReason reason) {
  refused_[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
}

void ServerMetrics::SetRefusedSource(RefusalReason reason,
                                     std::function<std::uint64_t()> read) {
  absl::MutexLock lock(&mu_);
  refused_source_[static_cast<int>(reason)] = std::move(read);
}

void ServerMetrics::RegisterCallback(std::string name, MetricType type,
                                     std::string help,
                                     std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  for (Callback& c : callbacks_) {
    if (c.name == name) {
      c = Callback{std::move(name), type, std::move(help), std::move(read)};
      return;
    }
  }
  callbacks_.push_back(
      Callback{std::move(name), type, std::move(help), std::move(read)});
}

std::uint64_t ServerMetrics::RpcsTotal(Rpc rpc, int code) const {
  return rpcs_[static_cast<int>(rpc)][ClampCode(code)].load(
      std::memory_order_relaxed);
}

std::uint64_t ServerMetrics::RequestsTotal(Rpc rpc,
                                           const RequestLabels& labels,
                                           int code) const {
  return requests_[RequestIndex(rpc, labels, code)].load(
      std::memory_order_relaxed);
}

std::int64_t ServerMetrics::InFlight(Rpc rpc) const {
  return in_flight_[static_cast<int>(rpc)].load(std::memory_order_relaxed);
}

std::int64_t ServerMetrics::QueueDepth() const {
  return queue_depth_.load(std::memory_order_relaxed);
}

HistogramSnapshot ServerMetrics::Latency(Rpc rpc) const {
  return latency_[static_cast<int>(rpc)]->Snapshot();
}

void ServerMetrics::RenderRequests(TextFormatWriter& w) const {
  w.Family("actsvc_requests_total", MetricType::kCounter,
           "Computations finished (a Compute call, a batch item, a stream "
           "message), by RPC, function, mode, dtype and gRPC status code.");
  for (int r = 0; r < kNumRpcs; ++r) {
    const Rpc rpc = static_cast<Rpc>(r);
    for (int f = 0; f < functions_; ++f) {
      for (int m = 0; m < modes_; ++m) {
        for (int d = 0; d < dtypes_; ++d) {
          for (int c = 0; c < kNumStatusCodes; ++c) {
            const std::uint64_t n =
                requests_[RequestIndex(rpc, RequestLabels{f, m, d}, c)].load(
                    std::memory_order_relaxed);
            if (n == 0) continue;
            const std::string code = CodeName(c);
            w.Sample("actsvc_requests_total",
                     {{"rpc", RpcName(rpc)},
                      {"function", SlotName(values_.functions, f)},
                      {"mode", SlotName(values_.modes, m)},
                      {"dtype", SlotName(values_.dtypes, d)},
                      {"code", code}},
                     n);
          }
        }
      }
    }
  }
}

void ServerMetrics::RenderElements(TextFormatWriter& w) const {
  w.Family("actsvc_elements_total", MetricType::kCounter,
           "Input values of the computations that succeeded, by function "
           "and dtype.");
  for (int f = 0; f < functions_; ++f) {
    for (int d = 0; d < dtypes_; ++d) {
      const std::uint64_t n =
          elements_[static_cast<std::size_t>(f) * dtypes_ + d].load(
              std::memory_order_relaxed);
      if (n == 0) continue;
      w.Sample("actsvc_elements_total",
               {{"function", SlotName(values_.functions, f)},
                {"dtype", SlotName(values_.dtypes, d)}},
               n);
    }
  }
}

void ServerMetrics::Render(TextFormatWriter& w) const {
  w.Family("actsvc_rpcs_total", MetricType::kCounter,
           "RPCs finished, by RPC and gRPC status code.");
  for (int r = 0; r < kNumRpcs; ++r) {
    for (int c = 0; c < kNumStatusCodes; ++c) {
      const std::uint64_t n = rpcs_[r][c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const std::string code = CodeName(c);
      w.Sample("actsvc_rpcs_total",
               {{"rpc", RpcName(static_cast<Rpc>(r))}, {"code", code}}, n);
    }
  }

  w.Family("actsvc_rpcs_in_flight", MetricType::kGauge,
           "RPCs started and not yet finished, by RPC (for ComputeStream: "
           "open streams).");
  for (int r = 0; r < kNumRpcs; ++r) {
    w.Sample("actsvc_rpcs_in_flight", {{"rpc", RpcName(static_cast<Rpc>(r))}},
             static_cast<double>(in_flight_[r].load(std::memory_order_relaxed)));
  }

  RenderRequests(w);

  w.Family("actsvc_request_duration_seconds", MetricType::kHistogram,
           "Server-side latency of a request, from the handler's start to its "
           "response being ready: the whole call for unary RPCs, one message "
           "for ComputeStream.");
  for (int r = 0; r < kNumRpcs; ++r) {
    const Label rpc[] = {{"rpc", RpcName(static_cast<Rpc>(r))}};
    w.HistogramSamples("actsvc_request_duration_seconds", rpc,
                       latency_[r]->Snapshot(), kNsPerSecond);
  }

  w.Family("actsvc_request_elements", MetricType::kHistogram,
           "Input values per successful computation (a Compute call, a batch "
           "item, a stream message), by RPC.");
  for (int r = 0; r < kNumRpcs; ++r) {
    if (static_cast<Rpc>(r) == Rpc::kListActivations) continue;
    const Label rpc[] = {{"rpc", RpcName(static_cast<Rpc>(r))}};
    w.HistogramSamples("actsvc_request_elements", rpc, sizes_[r]->Snapshot(),
                       1.0);
  }

  RenderElements(w);

  w.Family("actsvc_received_bytes_total", MetricType::kCounter,
           "Serialized request messages received, in bytes, by RPC.");
  for (int r = 0; r < kNumRpcs; ++r) {
    w.Sample("actsvc_received_bytes_total",
             {{"rpc", RpcName(static_cast<Rpc>(r))}},
             received_bytes_[r].load(std::memory_order_relaxed));
  }
  w.Family("actsvc_sent_bytes_total", MetricType::kCounter,
           "Serialized response messages sent, in bytes, by RPC.");
  for (int r = 0; r < kNumRpcs; ++r) {
    w.Sample("actsvc_sent_bytes_total",
             {{"rpc", RpcName(static_cast<Rpc>(r))}},
             sent_bytes_[r].load(std::memory_order_relaxed));
  }

  w.Family("actsvc_streams_started_total", MetricType::kCounter,
           "ComputeStream calls opened.");
  w.Sample("actsvc_streams_started_total", {},
           streams_started_.load(std::memory_order_relaxed));
  w.Family("actsvc_stream_messages_received_total", MetricType::kCounter,
           "ComputeStream request messages read.");
  w.Sample("actsvc_stream_messages_received_total", {},
           stream_received_.load(std::memory_order_relaxed));
  w.Family("actsvc_stream_messages_sent_total", MetricType::kCounter,
           "ComputeStream response messages written.");
  w.Sample("actsvc_stream_messages_sent_total", {},
           stream_sent_.load(std::memory_order_relaxed));

  w.Family("actsvc_compute_queue_depth", MetricType::kGauge,
           "Computations handed to the compute engine and not yet finished "
           "(queued or running).");
  w.Sample("actsvc_compute_queue_depth", {},
           static_cast<double>(queue_depth_.load(std::memory_order_relaxed)));

  absl::MutexLock lock(&mu_);
  w.Family("actsvc_requests_refused_total", MetricType::kCounter,
           "Requests turned away before computing, by reason.");
  for (int i = 0; i < kNumRefusalReasons; ++i) {
    std::uint64_t n = refused_[i].load(std::memory_order_relaxed);
    if (refused_source_[i]) n += refused_source_[i]();
    w.Sample("actsvc_requests_refused_total",
             {{"reason", RefusalReasonName(static_cast<RefusalReason>(i))}}, n);
  }

  for (const Callback& c : callbacks_) {
    w.Family(c.name, c.type, c.help);
    w.Sample(c.name, {}, c.read());
  }
}

}  // namespace actserver::metrics
