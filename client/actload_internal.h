// actload's internal types, shared by its files and by nothing else (not
// installed, not part of client/actload.h's API):
//
// - Payload: one size of the mix, prebuilt for every engine; built by
//   BuildPayloads (actload_payload.cc), sent by the runner.
// - Tally: what the completions seen by one thread add up to; recorded into
//   by the runner (actload_runner.cc) for its engines and its streams,
//   implemented in actload_tally.cc.
// - CompletionSink: what a stream worker (actload_stream.h) reports to the
//   runner, so that the stream reads without the runner.
//
// Thread safety: Payloads are immutable once built; a Tally locks its own
// mutex.
#ifndef CLIENT_ACTLOAD_INTERNAL_H_
#define CLIENT_ACTLOAD_INTERNAL_H_

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "activation/v1/activation.pb.h"
#include "client/actload.h"
#include "client/actload_h2.h"
#include "client/actload_verify.h"
#include "client/histogram.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace activation::client::actload_internal {

using Clock = std::chrono::steady_clock;

inline constexpr char kComputeMethod[] =
    "/activation.v1.ActivationService/Compute";
inline constexpr char kBatchMethod[] =
    "/activation.v1.ActivationService/ComputeBatch";
inline constexpr char kListMethod[] =
    "/activation.v1.ActivationService/ListActivations";

// grpc::StatusCode and absl::StatusCode share the canonical numbering.
inline absl::Status ToAbsl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// `status` with "<target>: " before its message: the target a failed
// connection or probe went to.
inline absl::Status WithTarget(const std::string& target,
                               const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(target, ": ", status.message()));
}

// Keeps in `worst` the larger ULP error, and a NaN (a NaN that should not
// have been) over any number.
inline void KeepWorst(double ulp, double* worst) {
  if (ulp > *worst || std::isnan(ulp)) *worst = ulp;
}

// One size of the payload mix, with its prebuilt request(s) and, when
// verifying, the reference results its responses must match.
struct Payload {
  std::size_t size = 0;
  std::shared_ptr<const v1::ComputeRequest> request;      // unary, stream
  // Unary and batch: the request serialised once, sent as is by the generic
  // stub (no per-call serialisation, as h2load sends a prebuilt body).
  grpc::ByteBuffer bytes;
  std::string method;
  // The h2 engine: the same call prebuilt as HEADERS + DATA, per target.
  std::vector<std::shared_ptr<const H2Request>> h2;
  Expected expected;  // --verify: what the answers must be
  uint64_t elements = 0;       // per RPC
  uint64_t payload_bytes = 0;  // per RPC: inputs sent + outputs received
};

// One Payload per config.sizes entry, in that order, for config.dtype: the
// inputs uniform in [-input_range, input_range] from seed + size (grad, for
// MODE_BACKWARD, in [-1, 1] from seed + size + 1); `verifier` (may be null)
// gives each its Expected; `h2_targets` (empty for the gRPC engine) each its
// H2Request.
std::vector<Payload> BuildPayloads(const LoadConfig& config,
                                   const Verifier* verifier,
                                   const std::vector<H2Address>& h2_targets);

// Request k of the run uses schedule[k % schedule.size()]: the sizes in
// proportion to their weights, interleaved (nginx's smooth weighted round
// robin) rather than in blocks.
std::vector<int> SizeSchedule(const SizeMix& mix);

// What the completions seen by one thread add up to (a polling thread's, an
// h2 loop's, or a share of the streams'): merged into the LoadResult at the
// end, so that no lock is shared on the hot path. Implemented in
// actload_tally.cc. Thread safety: every member locks the tally's mutex;
// its owner records, the progress thread takes intervals, Merge runs once
// every completion is recorded.
class Tally {
 public:
  // `targets`: config.targets.size(), the length of result.per_target.
  explicit Tally(std::size_t targets);

  // The measured phase starts at `measure_start` (before any Record).
  void StartMeasuring(Clock::time_point measure_start);

  // One completion at `now`, `latency_nanos` after its intended send time,
  // of a request of `payload` sent to targets[target]: into the current
  // progress interval if `live`, into the result if `measured`. `verdict`
  // (null unless verifying an OK answer) is its verification.
  void Record(Clock::time_point now, int64_t latency_nanos, bool live,
              bool measured, int target, const absl::Status& status,
              const Payload& payload, const Verdict* verdict);

  // Live progress: adds the current interval's counts and latencies to
  // `sample` and starts the next interval.
  void TakeInterval(ProgressSample* sample);

  // The tallies added up over the measured phase, which started at
  // `measure_start` and ends at the last completion; per_target has
  // `targets` entries.
  static LoadResult Merge(const std::vector<std::unique_ptr<Tally>>& tallies,
                          std::size_t targets,
                          Clock::time_point measure_start);

 private:
  absl::Mutex mu_;
  // The measured phase. result_.latency stays empty: ok_latency and
  // error_latency_ make it up in Merge (one Record per completion).
  LoadResult result_ ABSL_GUARDED_BY(mu_);
  LatencyHistogram error_latency_ ABSL_GUARDED_BY(mu_);
  Clock::time_point last_completion_ ABSL_GUARDED_BY(mu_);
  // The current progress interval (warm-up included), when reporting live.
  uint64_t interval_ok_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t interval_errors_ ABSL_GUARDED_BY(mu_) = 0;
  LatencyHistogram interval_latency_ ABSL_GUARDED_BY(mu_);
};

class StreamWorker;

// What a stream worker reports to the runner; the runner is the only
// implementation. Called on gRPC's callback threads.
class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  // Completion of one request (any RPC kind): recorded in `tally`. `status`
  // is the RPC's status, or the item's error in a stream; `responses` (n of
  // them) are the answers to verify when it is OK. Every request sent is
  // matched by one Complete and then one Release.
  virtual void Complete(Tally& tally, const Payload& payload, int client,
                        Clock::time_point intended, const absl::Status& status,
                        const v1::ComputeResponse* const* responses, int n) = 0;
  // Closed loop: stream `worker` completed a message; send its next one (or
  // close it).
  virtual void NextOnStream(int worker) = 0;
  // The request no longer counts as in flight. Called last, after the next
  // request left, so that a closed-loop worker never shows zero in flight
  // between two requests and the run cannot end while a thread or callback
  // still uses the sink.
  virtual void Release() = 0;
  // `worker`'s stream is over (OnDone).
  virtual void StreamFinished(StreamWorker* worker) = 0;
};

}  // namespace activation::client::actload_internal

#endif  // CLIENT_ACTLOAD_INTERNAL_H_
