#include "activations/evaluate.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "activations/catalog.h"
#include "activations/kernels.h"
#include "tbb/blocked_range.h"
#include "tbb/global_control.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"
#include "tbb/task_scheduler_observer.h"

namespace activations {

std::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kForward: return "forward";
    case Mode::kDerivative: return "derivative";
    case Mode::kForwardAndDerivative: return "forward_and_derivative";
    case Mode::kBackward: return "backward";
  }
  return "unknown";
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kBFloat16: return "bfloat16";
    case DType::kFloat16: return "float16";
  }
  return "unknown";
}

std::size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return sizeof(float);
    case DType::kFloat64: return sizeof(double);
    case DType::kBFloat16:
    case DType::kFloat16: return sizeof(std::uint16_t);
  }
  return 0;
}

namespace {

// Debian's Abseil 20220623 has its own string_view type (not std's): adapt.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// `s` with control characters, quotes and backslashes C-escaped ("\x00",
// "\n", "\""), UTF-8 letters kept: a message is read in a log or a
// terminal, where a NUL or an escape sequence from a caller does harm
// (tests/reliability/bad_input_matrix.py found the raw NUL).
std::string Escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '"' || c == '\\') {
      out += absl::CEscape(absl::string_view(&c, 1));
    } else {
      out += c;
    }
  }
  return out;
}

// A caller's string quoted for a message, cut short (at a UTF-8 character
// boundary) past kMaxQuoted bytes: a megabyte-long name must not become a
// megabyte-long error, which would not even fit in gRPC's trailers.
constexpr std::size_t kMaxQuoted = 64;
std::string Quoted(std::string_view s) {
  if (s.size() <= kMaxQuoted) return absl::StrCat("\"", Escaped(s), "\"");
  std::size_t cut = kMaxQuoted;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat("\"", Escaped(s.substr(0, cut)), "...\" (", s.size(), " bytes)");
}

std::string FromOutputNames() {
  std::vector<absl::string_view> names;
  for (const ActivationSpec& s : Catalog()) {
    if (s.derivative_from_output) names.push_back(Sv(s.name));
  }
  return absl::StrJoin(names, ", ");
}

std::string ParamNames(const ActivationSpec& spec) {
  if (spec.params.empty()) return absl::StrCat(Sv(spec.name), " takes no parameters");
  return absl::StrCat("valid: ", absl::StrJoin(spec.params, ", ",
                                               [](std::string* out, const ParamSpec& p) {
                                                 out->append(p.name.data(), p.name.size());
                                               }));
}

}  // namespace

absl::StatusOr<Call> MakeCall(std::string_view function, NamedParams params,
                              Mode mode, InputKind input_kind) {
  Call call;
  const ActivationSpec* spec = FindSpec(function, &call.id);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("function: unknown activation ", Quoted(function),
                                                   "; valid: ", ActivationNames()));
  }
  for (std::size_t i = 0; i < spec->params.size(); ++i) {
    call.params[i] = spec->params[i].default_value;
  }
  for (const auto& [name, value] : params) {
    // An init-capture: clang 14 (the sanitizer and fuzzing builds) cannot
    // capture a structured binding itself.
    const auto it = std::find_if(spec->params.begin(), spec->params.end(),
                                 [&n = name](const ParamSpec& p) { return p.name == n; });
    if (it == spec->params.end()) {
      return absl::InvalidArgumentError(absl::StrCat("params: unknown parameter ", Quoted(name),
                                                     " for ", Sv(spec->name), "; ",
                                                     ParamNames(*spec)));
    }
    if (!it->valid_range.Contains(value)) {  // NaN is in no range
      return absl::InvalidArgumentError(absl::StrCat(
          "params.", Sv(name), ": ", Sv(spec->name), ": ", Sv(name), "=", value, " is outside ",
          it->valid_range.ToString()));
    }
    if (it->integer && value != std::trunc(value)) {
      return absl::InvalidArgumentError(absl::StrCat("params.", Sv(name), ": ", Sv(spec->name),
                                                     ": ", Sv(name), "=", value,
                                                     " is not a whole number"));
    }
    call.params[it - spec->params.begin()] = value;
  }
  if (spec->check_params != nullptr) {
    if (const char* rule = spec->check_params(call.params.data())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "params: ", Sv(spec->name), ": ",
          absl::StrJoin(spec->params, ", ",
                        [&](std::string* out, const ParamSpec& p) {
                          absl::StrAppend(out, Sv(p.name), "=",
                                          call.params[&p - spec->params.data()]);
                        }),
          ": ", rule));
    }
  }
  call.mode = mode;
  call.input_kind = input_kind;
  if (!spec->elementwise && (mode == Mode::kDerivative || mode == Mode::kForwardAndDerivative)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mode: ", Sv(spec->name), " is not elementwise: its derivative is a Jacobian "
        "matrix, so it computes forward and backward (the Jacobian-vector product) only, "
        "not ", Sv(ModeName(mode))));
  }
  if (input_kind == InputKind::kOutput) {
    if (mode != Mode::kDerivative && mode != Mode::kBackward) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input_kind: the input can be the output y = f(x) only in the derivative and "
          "backward modes, not in ", Sv(ModeName(mode))));
    }
    if (!spec->derivative_from_output) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input_kind: the derivative of ", Sv(spec->name),
          " is not a function of its output; input_kind=output is valid for: ",
          FromOutputNames()));
    }
  }
  return call;
}

double MaxUlpError(const Call& call, DType dtype, ResultTensor tensor) {
  const ActivationSpec& spec = GetSpec(call.id);
  const bool wide = dtype == DType::kFloat64;
  const UlpBounds& b = wide ? spec.ulp_float64 : spec.ulp_float32;
  const bool from_output = call.input_kind == InputKind::kOutput;
  double bound = b.Max();
  switch (call.mode) {
    case Mode::kForward:
      bound = b.forward;
      break;
    case Mode::kDerivative:
      bound = from_output ? b.derivative_from_output : b.derivative;
      break;
    case Mode::kForwardAndDerivative:
      bound = tensor == ResultTensor::kOutput ? b.forward : b.derivative;
      break;
    case Mode::kBackward:
      bound = from_output ? b.backward_from_output : b.backward;
      break;
  }
  switch (dtype) {
    case DType::kFloat32:
    case DType::kFloat64:
      return bound;
    // The float32 result, within b ULP of float32, rounded once: 0.5 ULP of
    // the 16-bit type plus b ULP of float32, which are 2^-16 (bfloat16: 8
    // significant bits against 24) or 2^-13 (float16: 11) of its ULP.
    case DType::kBFloat16:
      return 0.5 + bound / 65536;
    case DType::kFloat16:
      return 0.5 + bound / 8192;
  }
  return bound;
}

double MaxUlpError(const Call& call, DType dtype) {
  return std::max(MaxUlpError(call, dtype, ResultTensor::kOutput),
                  call.mode == Mode::kForwardAndDerivative
                      ? MaxUlpError(call, dtype, ResultTensor::kDerivative)
                      : 0.0);
}

absl::Status CheckShape(const Call& call, std::span<const std::int64_t> shape,
                        std::size_t size) {
  const ActivationSpec& spec = GetSpec(call.id);
  if (spec.elementwise) return absl::OkStatus();
  std::size_t elements = 1;
  for (const std::int64_t dim : shape) {
    if (dim < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("shape: dimension ", dim, " is negative; dimensions are >= 0"));
    }
    elements *= static_cast<std::size_t>(dim);
  }
  if (!shape.empty() && elements != size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shape: [", absl::StrJoin(shape, ", "), "] holds ", elements, " elements, not ", size));
  }
  const auto rank = static_cast<std::int64_t>(std::max<std::size_t>(shape.size(), 1));
  const auto dim = static_cast<std::int64_t>(call.params[0]);
  if (dim < -rank || dim >= rank) {
    return absl::InvalidArgumentError(absl::StrCat(
        "params.dim: ", Sv(spec.name), ": dim=", dim, " is outside [", -rank, ", ", rank - 1,
        "] for a tensor of rank ", rank));
  }
  return absl::OkStatus();
}

std::string_view SimdTarget() { return internal::DispatchedTargetName(); }

void RunSerial(const Job& job) {
  if (!GetSpec(job.call.id).elementwise) {
    return internal::ComputeLines(job, 0, internal::LineUnits(job));
  }
  internal::ComputeRange(job, 0, job.size);
}

namespace {

absl::Status CheckJob(const Job& job, std::size_t index) {
  auto missing = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("jobs[", index, "]: ", Sv(what), " is null for ", job.size, " elements"));
  };
  if (job.size == 0) return absl::OkStatus();
  if (job.input == nullptr) return missing("input");
  if (job.output == nullptr) return missing("output");
  if (job.call.mode == Mode::kBackward && job.grad == nullptr) return missing("grad");
  if (job.call.mode == Mode::kForwardAndDerivative && job.derivative == nullptr) {
    return missing("derivative");
  }
  if (absl::Status s = CheckShape(job.call, job.shape, job.size); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("jobs[", index, "].", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// Lowers the priority of every worker thread that joins the arena.
class NiceWorkers final : public tbb::task_scheduler_observer {
 public:
  NiceWorkers(tbb::task_arena& arena, int increment)
      : tbb::task_scheduler_observer(arena), increment_(increment) {
    if (increment_ > 0) observe(true);
  }
  ~NiceWorkers() override { observe(false); }

  void on_scheduler_entry(bool is_worker) override {
    if (!is_worker) return;
    const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
    if (errno != 0 || current >= base_ + increment_) return;  // already done
    setpriority(PRIO_PROCESS, static_cast<id_t>(tid), base_ + increment_);
  }

 private:
  const int increment_;
  // The process's nice value when the engine was made.
  const int base_ = getpriority(PRIO_PROCESS, 0);
};

}  // namespace

struct Engine::Impl {
  // No slot reserved for a thread that joins (Run's caller, who may also
  // take a free one): work queued by Enqueue, which no caller joins, gets
  // all `threads`. oneTBB starts default_concurrency - 1 workers for the
  // whole process, one fewer than the arena asks for, unless a
  // global_control allows more: with the arena's default reserved slot and
  // that limit, every Enqueue'd call ran on one thread (measured: the chunks
  // of a 1 Mi or 16 Mi job queued on a 2-thread engine ran on 1 thread, Run's
  // on 2; EngineTest.QueuedWorkRunsOnEveryThread).
  Impl(int threads, int worker_nice)
      : workers(tbb::global_control::max_allowed_parallelism,
                std::max<std::size_t>(
                    tbb::global_control::active_value(
                        tbb::global_control::max_allowed_parallelism),
                    static_cast<std::size_t>(threads) + 1)),
        arena(threads, 0),
        nice(arena, worker_nice) {}
  tbb::global_control workers;
  tbb::task_arena arena;
  NiceWorkers nice;
  // Calls above the threshold handed to this engine (Run, Enqueue) and not
  // yet finished, queued or computing.
  std::atomic<int> active{0};
  // Tasks handed to the arena by Enqueue whose body has not yet returned:
  // the destructor waits for them (the arena's own destructor does not), so
  // that no task outlives the engine it uses, nor holds its caller's jobs
  // and callbacks past it (a server's last call, cancelled, could otherwise
  // still be freeing them on a worker while the process exits).
  std::mutex queued_mu;
  std::condition_variable queued_cv;
  int queued = 0;  // guarded by queued_mu
  std::atomic<std::uint64_t> split{0};
  std::atomic<std::uint64_t> one_thread{0};

  // Runs inside `arena`: jobs in parallel, each large job split into chunks
  // that are whole multiples of every vector width; TBB's work stealing
  // balances the nesting.
  // `others_waiting`: the caller's word that more work is on its way.
  absl::Status RunHere(std::span<const Job> jobs, const std::function<bool()>& cancelled,
                       const Options& options, bool others_waiting) {
    std::atomic<bool> stop{false};
    const std::size_t chunk =
        std::max<std::size_t>(64, options.chunk_elements / 64 * 64);
    // This call is one of `active`; any other one is queued or computing.
    const bool split_jobs =
        options.split_when_busy ||
        (!others_waiting && active.load(std::memory_order_relaxed) <= 1);
    (split_jobs ? split : one_thread).fetch_add(1, std::memory_order_relaxed);
    if (!split_jobs) {
      // Each job whole on this thread, in chunks only to poll `cancelled`.
      auto stopped = [&] { return cancelled && cancelled(); };
      const absl::Status cancelled_status =
          absl::CancelledError("computation cancelled by the caller");
      for (const Job& job : jobs) {
        if (job.size < options.parallel_threshold || !GetSpec(job.call.id).elementwise) {
          if (stopped()) return cancelled_status;
          RunSerial(job);
          continue;
        }
        for (std::size_t begin = 0; begin < job.size; begin += chunk) {
          if (stopped()) return cancelled_status;
          internal::ComputeRange(job, begin, std::min(job.size, begin + chunk));
        }
      }
      return absl::OkStatus();
    }
    auto run_job = [&](const Job& job) {
      if (stop.load(std::memory_order_relaxed)) return;
      if (job.size < options.parallel_threshold) {
        RunSerial(job);
        return;
      }
      if (!GetSpec(job.call.id).elementwise) {
        // Whole lines (or blocks of columns) per task, about chunk elements
        // each: a line is never split, so the result does not depend on
        // the split.
        const std::size_t units = internal::LineUnits(job);
        const std::size_t per_unit = std::max<std::size_t>(1, job.size / std::max<std::size_t>(units, 1));
        const std::size_t grain = std::max<std::size_t>(1, options.chunk_elements / per_unit);
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, units, grain),
                          [&](const tbb::blocked_range<std::size_t>& r) {
                            if (stop.load(std::memory_order_relaxed)) return;
                            if (cancelled && cancelled()) {
                              stop.store(true, std::memory_order_relaxed);
                              return;
                            }
                            internal::ComputeLines(job, r.begin(), r.end());
                          });
        return;
      }
      const std::size_t chunks = (job.size + chunk - 1) / chunk;
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1),
                        [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t c = r.begin(); c != r.end(); ++c) {
                            if (stop.load(std::memory_order_relaxed)) return;
                            if (cancelled && cancelled()) {
                              stop.store(true, std::memory_order_relaxed);
                              return;
                            }
                            internal::ComputeRange(job, c * chunk,
                                                   std::min(job.size, (c + 1) * chunk));
                          }
                        });
    };
    if (jobs.size() == 1) {
      run_job(jobs[0]);
    } else {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, jobs.size(), 1),
                        [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t i = r.begin(); i != r.end(); ++i) {
                            if (cancelled && cancelled()) stop.store(true);
                            run_job(jobs[i]);
                          }
                        });
    }
    if (stop.load()) return absl::CancelledError("computation cancelled by the caller");
    return absl::OkStatus();
  }
};

Engine::Engine(const Options& options)
    : options_(options),
      impl_(std::make_unique<Impl>(
          options.threads > 0 ? options.threads : tbb::info::default_concurrency(),
          options.worker_nice)) {
  options_.threads = impl_->arena.max_concurrency();
}

Engine::~Engine() {
  std::unique_lock<std::mutex> lock(impl_->queued_mu);
  impl_->queued_cv.wait(lock, [this] { return impl_->queued == 0; });
}

int Engine::threads() const { return options_.threads; }

namespace {
std::size_t TotalSize(std::span<const Job> jobs) {
  std::size_t total = 0;
  for (const Job& job : jobs) total += job.size;
  return total;
}
absl::Status CheckJobs(std::span<const Job> jobs) {
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (absl::Status s = CheckJob(jobs[i], i); !s.ok()) return s;
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status Engine::Run(std::span<const Job> jobs,
                         const std::function<bool()>& cancelled) const {
  if (absl::Status s = CheckJobs(jobs); !s.ok()) return s;
  // Small work runs inline: a task costs more than computing it.
  if (TotalSize(jobs) < options_.parallel_threshold) {
    for (const Job& job : jobs) RunSerial(job);
    return absl::OkStatus();
  }
  absl::Status status;
  impl_->active.fetch_add(1, std::memory_order_relaxed);
  impl_->arena.execute([&] { status = impl_->RunHere(jobs, cancelled, options_, false); });
  impl_->active.fetch_sub(1, std::memory_order_relaxed);
  return status;
}

void Engine::Enqueue(std::vector<Job> jobs, std::function<bool()> cancelled,
                     std::function<void(absl::Status)> done, bool others_waiting) const {
  if (absl::Status s = CheckJobs(jobs); !s.ok()) return done(std::move(s));
  if (TotalSize(jobs) < options_.parallel_threshold) {
    for (const Job& job : jobs) RunSerial(job);
    return done(absl::OkStatus());
  }
  // Counted from now: a call that starts while this one waits in the
  // arena's queue is not split (nor is this one, if that one still computes
  // when this one starts). A call already split stays split.
  impl_->active.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(impl_->queued_mu);
    ++impl_->queued;
  }
  // What the task owns, on the heap: oneTBB keeps a task's function const
  // and destroys it only after the body returns, when the engine may be gone
  // (see Impl::queued). The body takes it and frees it before it says so.
  struct Queued {
    std::vector<Job> jobs;
    std::function<bool()> cancelled;
    std::function<void(absl::Status)> done;
  };
  impl_->arena.enqueue([this, others_waiting,
                        queued = new Queued{std::move(jobs), std::move(cancelled),
                                            std::move(done)}] {
    std::unique_ptr<Queued> owned(queued);
    // Work that waited in the queue past its caller's interest (a deadline
    // passed, the client went away) is dropped before it starts.
    absl::Status status =
        owned->cancelled && owned->cancelled()
            ? absl::CancelledError("computation cancelled by the caller")
            : impl_->RunHere(owned->jobs, owned->cancelled, options_, others_waiting);
    // Before `done`: a caller that waits for `done` and then starts
    // another call must find this one gone.
    impl_->active.fetch_sub(1, std::memory_order_relaxed);
    owned->done(std::move(status));
    owned.reset();
    // Last: the engine may be destroyed from here on.
    std::lock_guard<std::mutex> lock(impl_->queued_mu);
    if (--impl_->queued == 0) impl_->queued_cv.notify_all();
  });
}

Engine::SplitCounts Engine::split_counts() const {
  return {impl_->split.load(std::memory_order_relaxed),
          impl_->one_thread.load(std::memory_order_relaxed)};
}

}  // namespace activations
