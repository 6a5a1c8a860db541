// The public entry point of the compute library: validated calls over spans.
//
// Nothing here knows about gRPC or protobuf. Errors are absl::Status values:
// INVALID_ARGUMENT for a bad function, parameter or mode, with a message that
// names the field, the value and the valid choices; CANCELLED when the caller's
// cancellation callback fires between chunks.
#ifndef ACTIVATIONS_EVALUATE_H_
#define ACTIVATIONS_EVALUATE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "activations/activation_id.h"
#include "activations/spec.h"

namespace activations {

enum class Mode {
  kForward,               // out = f(x)
  kDerivative,            // out = f'(x)
  kForwardAndDerivative,  // out = f(x), out2 = f'(x), one pass
  kBackward,              // out = grad * f'(x)
};

// What the input holds in kDerivative and kBackward.
enum class InputKind {
  kX,       // the argument x
  kOutput,  // y = f(x); only where ActivationSpec::derivative_from_output
};

// Element types. The 16-bit ones (bit patterns, see half_float.h) are
// computed in float32 -- by the float32 kernels, exactly as a float32 job --
// and each result is rounded once, to nearest even: their error is at most
// 0.5 ULP of their own plus the float32 bound scaled down (2^-16 of it for
// bfloat16, 2^-13 for float16), see MaxUlpError.
enum class DType {
  kFloat32,   // IEEE binary32
  kFloat64,   // IEEE binary64
  kBFloat16,  // bfloat16: float32's upper half
  kFloat16,   // IEEE binary16
};

std::string_view ModeName(Mode mode);
// "float32", "float64", "bfloat16", "float16".
std::string_view DTypeName(DType dtype);
std::size_t DTypeSize(DType dtype);

// A validated description of what to compute. Build it with MakeCall.
struct Call {
  ActivationId id;
  ParamValues params{};
  Mode mode = Mode::kForward;
  InputKind input_kind = InputKind::kX;
};

// Parameters as given by a caller: (name, value) pairs.
using NamedParams = std::span<const std::pair<std::string_view, double>>;

// Resolves the function by catalogue name, fills parameters left out with
// their defaults and checks every value against its valid range.
// INVALID_ARGUMENT: unknown function (lists the valid names), unknown
// parameter (lists the function's parameters), value outside its range (says
// the range), InputKind::kOutput for a function whose derivative is not a
// function of its output.
absl::StatusOr<Call> MakeCall(std::string_view function, NamedParams params,
                              Mode mode, InputKind input_kind = InputKind::kX);

// The two tensors a call can write: `output` (every mode) and `derivative`
// (kForwardAndDerivative only).
enum class ResultTensor { kOutput, kDerivative };

// The error bound in ULP of one tensor of `call` computed in `dtype`: the
// catalogue's bound for its function, mode, input kind and element type
// (ActivationSpec::ulp_float32/64; the contract's exceptions are in
// UlpBounds). kForwardAndDerivative's output has the forward bound, its
// derivative the derivative bound.
double MaxUlpError(const Call& call, DType dtype, ResultTensor tensor);
// The larger of the bounds of the tensors `call` writes: what a response's
// max_ulp_error states.
double MaxUlpError(const Call& call, DType dtype);

// For a function that is not elementwise (ActivationSpec::elementwise,
// softmax): whether `shape` fits `size` elements and the call's dim is one of
// its dimensions. A shape of rank 0 (empty) stands for one dimension of
// `size`. OK for every elementwise call. INVALID_ARGUMENT naming the field:
// "params.dim: softmax: dim=2 is outside [-2, 1] for a tensor of rank 2", or
// "shape: [2, 3] holds 6 elements, not 5".
absl::Status CheckShape(const Call& call, std::span<const std::int64_t> shape, std::size_t size);

// One tensor's work. Pointers may be unaligned; `output` may equal `input` or
// `grad` (in place). `grad` is read only in kBackward, `derivative` written
// only in kForwardAndDerivative.
struct Job {
  Call call;
  DType dtype = DType::kFloat32;
  std::size_t size = 0;  // elements
  const void* input = nullptr;
  const void* grad = nullptr;
  void* output = nullptr;
  void* derivative = nullptr;
  // Dimensions, outermost first, row-major; read only by functions that are
  // not elementwise (see CheckShape). Empty: one dimension of `size`. Must
  // stay alive while the job runs.
  std::span<const std::int64_t> shape = {};
};

struct Options {
  // Compute threads; 0 means all cores.
  int threads = 0;
  // Jobs with fewer elements than this run inline on the calling thread.
  std::size_t parallel_threshold = 1 << 15;
  // Elements per parallel task (rounded to a multiple of the vector width).
  std::size_t chunk_elements = 1 << 14;
  // The arena's worker threads lower their scheduling priority by this much
  // (a nice increment, Linux per-thread): when the CPU is saturated, threads
  // that only wait on I/O -- a server's, answering health checks and
  // refusing what it cannot take -- run first, and computation takes the
  // rest. 0 leaves the workers at the process's priority. Not undone: the
  // workers serve this arena only.
  int worker_nice = 0;
  // Whether a job at or above parallel_threshold is split across the
  // threads even while other calls are queued or computing on this engine
  // (or the caller says other work is waiting, Enqueue's `others_waiting`).
  // false: such a job is split only when it is alone -- one call in flight
  // finishes sooner on every thread -- and otherwise runs whole on one
  // thread, as a job below the threshold does, since the other threads then
  // have calls of their own and splitting only adds hand-offs.
  bool split_when_busy = false;
};

// Runs jobs on one oneTBB task_arena of Options::threads threads, which work
// queued by Enqueue gets in full (the arena reserves no slot for a caller
// that joins it, and the engine raises oneTBB's process-wide worker limit to
// its threads while it lives). Thread-safe: many threads may call Run at
// once; they share the arena. Results are bit-identical however the work is
// split.
class Engine {
 public:
  explicit Engine(const Options& options = {});
  // Waits for the work queued by Enqueue: every queued call runs (or, if its
  // `cancelled` says so, is dropped) and its `done` returns, and what the
  // call handed over (jobs, callbacks and their captures) is destroyed,
  // before the engine is.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Computes every job; jobs run in parallel with each other and large jobs
  // are split across threads. `cancelled`, if set, is polled between chunks;
  // once it returns true, Run stops early and returns CANCELLED (outputs are
  // then partial and must be discarded). INVALID_ARGUMENT for a job with a
  // null pointer it needs.
  absl::Status Run(std::span<const Job> jobs,
                   const std::function<bool()>& cancelled = nullptr) const;

  // Like Run, but returns at once: the work is queued on the arena and
  // `done` is called exactly once with the result, on a compute thread (or on
  // the calling thread if the work is smaller than parallel_threshold, before
  // Enqueue returns). The buffers the jobs point to must stay alive until
  // `done` runs. Lets an RPC handler hand work off without blocking gRPC's
  // threads. Queued work whose `cancelled` already returns true when its turn
  // comes is not started (CANCELLED).
  // `others_waiting`: the caller knows of other work for these threads that
  // the engine cannot see yet (a server's calls still being received): the
  // jobs are then not split unless Options::split_when_busy.
  void Enqueue(std::vector<Job> jobs, std::function<bool()> cancelled,
               std::function<void(absl::Status)> done, bool others_waiting = false) const;

  // How calls at or above parallel_threshold ran: split across the threads,
  // or each job whole on one thread because other work was in flight (see
  // Options::split_when_busy). Counted when a call starts computing.
  struct SplitCounts {
    std::uint64_t split = 0;
    std::uint64_t one_thread = 0;
  };
  SplitCounts split_counts() const;

  int threads() const;
  const Options& options() const { return options_; }

 private:
  struct Impl;
  Options options_;
  std::unique_ptr<Impl> impl_;
};

// Runs one job on the calling thread only: no arena, no tasks.
void RunSerial(const Job& job);

// The SIMD target the kernels dispatch to on this CPU, e.g. "AVX2".
std::string_view SimdTarget();

}  // namespace activations

#endif  // ACTIVATIONS_EVALUATE_H_
