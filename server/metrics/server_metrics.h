// The server's metrics registry: every figure the request path records, held
// in fixed arrays of relaxed atomics so that recording is a few uncontended
// atomic adds -- no lock, no allocation, no map lookup -- and rendered on
// demand in the Prometheus text format (metrics_exporter.h serves it).
//
// The label values are indices fixed at construction: the functions of the
// catalogue, the modes, the dtypes, the RPCs and the gRPC status codes, plus
// an "unknown" slot for a request that named none (or an invalid one). A
// client therefore cannot create series: the series count is bounded by the
// product of those lists, and only series that have counted something are
// written.
//
// Example (what a handler does; call_recorder.h wraps it):
//   metrics.RpcStarted(Rpc::kCompute);
//   ... compute ...
//   metrics.RequestDone(Rpc::kCompute, labels, grpc::StatusCode::OK, 1024);
//   metrics.ObserveLatency(Rpc::kCompute, absl::Microseconds(80));
//   metrics.RpcFinished(Rpc::kCompute, grpc::StatusCode::OK);
#ifndef SERVER_METRICS_SERVER_METRICS_H_
#define SERVER_METRICS_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics/histogram.h"
#include "server/metrics/text_format.h"

namespace actserver::metrics {

// The RPCs of activation.v1.ActivationService, as the `rpc` label names them.
enum class Rpc : int {
  kCompute,
  kComputeBatch,
  kComputeStream,
  kListActivations,
};
inline constexpr int kNumRpcs = 4;
absl::string_view RpcName(Rpc rpc);

// Why a request was turned away before it was computed: the `reason` label
// of actsvc_requests_refused_total. Every reason is exported from the start
// (at 0), so that rate() and alerts see the series before the first refusal.
enum class RefusalReason : int {
  kMemoryBudget,     // request + response did not fit the memory budget
  kQueueFull,        // the compute queue's values were at their limit
  kDeadlineExpired,  // the deadline passed before computing started
};
inline constexpr int kNumRefusalReasons = 3;
absl::string_view RefusalReasonName(RefusalReason reason);

// gRPC status codes 0 (OK) .. 16 (UNAUTHENTICATED); anything else counts as
// UNKNOWN (2), as gRPC itself treats it.
inline constexpr int kNumStatusCodes = 17;

// The label values of one computation as indices into ServerMetrics's
// lists, 0 meaning "unknown" (not given, or not valid).
struct RequestLabels {
  int function = 0;  // 1 + index into LabelValues::functions
  int mode = 0;      // 1 + index into LabelValues::modes
  int dtype = 0;     // 1 + index into LabelValues::dtypes
};

// Latency buckets, in nanoseconds: 50 us to 10 s in 1-2.5-5 steps (17
// bounds); below 50 us the service cannot be told apart from the gRPC
// floor, above 10 s a request has missed any sane deadline.
std::span<const std::uint64_t> LatencyBucketsNs();
// Size buckets, in elements: powers of 4 from 1 to 16 Mi (13 bounds), which
// spans one value to the default --max_elements.
std::span<const std::uint64_t> SizeBuckets();

// Thread-safe. Recording methods are lock-free; Render and the Register*
// calls take a mutex that only they use.
class ServerMetrics {
 public:
  struct LabelValues {
    std::vector<std::string> functions;  // e.g. the catalogue's names
    std::vector<std::string> modes;      // e.g. "forward", "backward"
    std::vector<std::string> dtypes;     // e.g. "float32", "float64"
  };

  explicit ServerMetrics(LabelValues values);
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  const LabelValues& label_values() const { return values_; }

  // --- Recording (hot path: relaxed atomics only). ---

  // An RPC began / ended with `code`: actsvc_rpcs_in_flight,
  // actsvc_rpcs_total, and for ComputeStream actsvc_streams_started_total.
  void RpcStarted(Rpc rpc);
  void RpcFinished(Rpc rpc, int code);

  // One computation (a Compute call, a batch item, a stream message) ended
  // with `code`: actsvc_requests_total; when OK also its size
  // (actsvc_request_elements) and actsvc_elements_total.
  void RequestDone(Rpc rpc, const RequestLabels& labels, int code,
                   std::uint64_t elements);

  // Server-side latency of one request (the call for unary RPCs, one message
  // for ComputeStream): actsvc_request_duration_seconds.
  void ObserveLatency(Rpc rpc, absl::Duration latency);

  // Serialized message bytes received and sent.
  void AddBytes(Rpc rpc, std::uint64_t received, std::uint64_t sent);

  // ComputeStream messages read and written.
  void StreamMessageReceived();
  void StreamMessageSent();

  // Computations handed to the compute engine and not yet finished.
  void QueueDepthAdd(std::int64_t delta);

  // A request turned away before computing (memory budget, queue, ...).
  void Refused(RefusalReason reason);

  // For a reason whose count another object keeps (the admission control's
  // own counters): `read` is added to what Refused recorded, at each scrape.
  // Must be thread-safe and outlive this registry. Start-up only.
  void SetRefusedSource(RefusalReason reason,
                        std::function<std::uint64_t()> read);

  // --- Registration (start-up; not for the hot path). ---

  // A metric read at each scrape from `read` (which must be thread-safe and
  // outlive this registry), for figures that live elsewhere: a memory
  // budget's bytes in use, a pool's size. `name` follows Prometheus's
  // conventions (counters end in _total); `type` is kCounter or kGauge.
  // Re-registering a name replaces the callback.
  void RegisterCallback(std::string name, MetricType type, std::string help,
                        std::function<double()> read);

  // --- Export. ---

  // Appends every family to `writer`.
  void Render(TextFormatWriter& writer) const;

  // Totals, for tests and for a summary line.
  std::uint64_t RpcsTotal(Rpc rpc, int code) const;
  std::uint64_t RequestsTotal(Rpc rpc, const RequestLabels& labels,
                              int code) const;
  std::int64_t InFlight(Rpc rpc) const;
  std::int64_t QueueDepth() const;
  HistogramSnapshot Latency(Rpc rpc) const;

 private:
  struct Callback {
    std::string name;
    MetricType type;
    std::string help;
    std::function<double()> read;
  };

  std::size_t RequestIndex(Rpc rpc, const RequestLabels& labels,
                           int code) const;
  void RenderRequests(TextFormatWriter& writer) const;
  void RenderElements(TextFormatWriter& writer) const;

  const LabelValues values_;
  // Sizes of the label dimensions, "unknown" slot included.
  const int functions_;
  const int modes_;
  const int dtypes_;

  // [rpc][function][mode][dtype][code]
  const std::unique_ptr<std::atomic<std::uint64_t>[]> requests_;
  // [function][dtype]
  const std::unique_ptr<std::atomic<std::uint64_t>[]> elements_;
  // [rpc][code]
  std::atomic<std::uint64_t> rpcs_[kNumRpcs][kNumStatusCodes] = {};
  std::atomic<std::int64_t> in_flight_[kNumRpcs] = {};
  std::atomic<std::uint64_t> received_bytes_[kNumRpcs] = {};
  std::atomic<std::uint64_t> sent_bytes_[kNumRpcs] = {};
  std::atomic<std::uint64_t> streams_started_{0};
  std::atomic<std::uint64_t> stream_received_{0};
  std::atomic<std::uint64_t> stream_sent_{0};
  std::atomic<std::int64_t> queue_depth_{0};
  std::atomic<std::uint64_t> refused_[kNumRefusalReasons] = {};
  std::function<std::uint64_t()> refused_source_[kNumRefusalReasons]
      ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Histogram>> latency_;  // per rpc
  std::vector<std::unique_ptr<Histogram>> sizes_;    // per rpc

  mutable absl::Mutex mu_;
  std::vector<Callback> callbacks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_SERVER_METRICS_H_
