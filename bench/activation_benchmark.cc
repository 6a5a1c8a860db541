// Throughput of every activation x mode x dtype x size, one thread and all
// threads, beside its two baselines measured in the same binary and run:
//   copy/<dtype>/<threads>/<size>          memcpy of the same input bytes
//   copy_1in2out/<dtype>/t1/<size>         the bytes of forward_and_derivative
//   copy_2in1out/<dtype>/t1/<size>         the bytes of backward
//   scalar/<fn>/<mode>/<dtype>/t1/<size>   the <cmath> loop of <Name>Naive
//   ours/<fn>/<mode>/<dtype>/<threads>/<size>
// <threads> is t1 (RunSerial on the benchmark thread) or tN (an Engine over
// all N cores). <size> is 1Ki, 64Ki, 1Mi or 16Mi elements. Every benchmark
// reports items/s (elements) and bytes/s (every element read and written).
// One-thread runs are timed in CPU time, parallel ones by the wall clock
// (their names end in /real_time): see RegisterAll.
//
// Examples (docs/benchmarks.md has the runs behind its tables):
//   activation_benchmark --benchmark_filter='/f32/t1/1Mi$'
//   activation_benchmark --benchmark_filter='(copy|ours/[a-z_]+/forward)/f32/t[0-9]+/16Mi'
//
// Inputs are drawn once per size from N(0, 3^2) (the upstream gradient from
// N(0, 1)) with a fixed seed, so every run sees the same numbers. Outputs go
// to separate buffers (not in place). The scalar benchmarks also check their
// results against ours on a prefix, so a benchmark that computes the wrong
// function fails loudly (and the binary exits 1) rather than reporting a
// meaningless ratio.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "activations/activation_list.h"
#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/half_float.h"
#include "bench/naive_formulas.h"
#include "benchmark/benchmark.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace activations::bench {
namespace {

// 1Ki fits in L1, 64Ki in L2, 1Mi (4 MiB of float32 in, 4 out) in a large
// L3, 16Mi in none: the last is the memory-bound regime.
struct SizeCase {
  std::size_t elements;
  const char* name;
};
constexpr SizeCase kSizes[] = {
    {std::size_t{1} << 10, "1Ki"},
    {std::size_t{1} << 16, "64Ki"},
    {std::size_t{1} << 20, "1Mi"},
    {std::size_t{1} << 24, "16Mi"},
};

struct ModeCase {
  const char* name;
  Mode mode;
  InputKind input_kind;
};
// backward_from_output is backward given y = f(x) instead of x (no exp):
// registered only for the functions whose spec allows it.
constexpr ModeCase kModes[] = {
    {"forward", Mode::kForward, InputKind::kX},
    {"derivative", Mode::kDerivative, InputKind::kX},
    {"forward_and_derivative", Mode::kForwardAndDerivative, InputKind::kX},
    {"backward", Mode::kBackward, InputKind::kX},
    {"backward_from_output", Mode::kBackward, InputKind::kOutput},
};

struct DTypeCase {
  const char* name;
  DType dtype;
};
// bf16 and f16 run the float32 kernels between a widening and a rounding
// (evaluate.h); they have no scalar baseline (C++ has no arithmetic on
// them): compare them with ours/.../f32.
constexpr DTypeCase kDTypes[] = {{"f32", DType::kFloat32},
                                 {"f64", DType::kFloat64},
                                 {"bf16", DType::kBFloat16},
                                 {"f16", DType::kFloat16}};
bool Is16Bit(DType t) { return t == DType::kBFloat16 || t == DType::kFloat16; }

// Entries that are not elementwise (softmax) run along the last dim of a
// [n / kLine, kLine] tensor: lines of 1024, as a classifier's logits.
constexpr std::size_t kLine = 1024;
struct LineShape {
  std::int64_t dims[2];
  std::span<const std::int64_t> For(const Call& call, std::size_t n) {
    if (GetSpec(call.id).elementwise) return {};
    const std::size_t line = std::min(n, kLine);
    dims[0] = static_cast<std::int64_t>(n / line);
    dims[1] = static_cast<std::int64_t>(line);
    return dims;
  }
};

// Arrays streamed per element, for bytes/s: inputs read plus outputs written.
int Streams(Mode mode) {
  switch (mode) {
    case Mode::kForward:
    case Mode::kDerivative:
      return 2;  // x -> out
    case Mode::kForwardAndDerivative:
      return 3;  // x -> out, out2
    case Mode::kBackward:
      return 3;  // x, grad -> out
  }
  return 2;
}

// 64-byte aligned (one AVX-512 vector, one cache line) and touched at
// allocation, so page faults are not timed.
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<std::byte[], FreeDeleter>;
Buffer Allocate(std::size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  Buffer b(static_cast<std::byte*>(std::aligned_alloc(64, bytes)));
  if (b == nullptr) {
    std::fprintf(stderr, "activation_benchmark: cannot allocate %zu bytes\n", bytes);
    std::abort();
  }
  std::memset(b.get(), 0, bytes);
  return b;
}

// The arrays of one size, shared by every benchmark of that size; built on
// first use (so a filtered run allocates only what it measures) and kept.
// Benchmarks run one at a time on the main thread: no locking needed.
struct Data {
  explicit Data(std::size_t n)
      : x32(Allocate(n * sizeof(float))),
        g32(Allocate(n * sizeof(float))),
        x64(Allocate(n * sizeof(double))),
        g64(Allocate(n * sizeof(double))),
        xb16(Allocate(n * sizeof(uint16_t))),
        gb16(Allocate(n * sizeof(uint16_t))),
        xh16(Allocate(n * sizeof(uint16_t))),
        gh16(Allocate(n * sizeof(uint16_t))),
        out(Allocate(n * sizeof(double))),
        out2(Allocate(n * sizeof(double))),
        y(Allocate(n * sizeof(double))) {
    std::mt19937_64 rng(20240601 + n);
    std::normal_distribution<double> x_dist(0.0, 3.0), g_dist(0.0, 1.0);
    auto* xf = reinterpret_cast<float*>(x32.get());
    auto* gf = reinterpret_cast<float*>(g32.get());
    auto* xd = reinterpret_cast<double*>(x64.get());
    auto* gd = reinterpret_cast<double*>(g64.get());
    for (std::size_t i = 0; i < n; ++i) {
      // Rounded to float first so both dtypes see the same numbers.
      xf[i] = static_cast<float>(x_dist(rng));
      gf[i] = static_cast<float>(g_dist(rng));
      xd[i] = xf[i];
      gd[i] = gf[i];
      reinterpret_cast<uint16_t*>(xb16.get())[i] = FloatToBFloat16(xf[i]);
      reinterpret_cast<uint16_t*>(gb16.get())[i] = FloatToBFloat16(gf[i]);
      reinterpret_cast<uint16_t*>(xh16.get())[i] = FloatToFloat16(xf[i]);
      reinterpret_cast<uint16_t*>(gh16.get())[i] = FloatToFloat16(gf[i]);
    }
  }
  const void* X(DType t) const {
    switch (t) {
      case DType::kFloat32: return x32.get();
      case DType::kFloat64: return x64.get();
      case DType::kBFloat16: return xb16.get();
      case DType::kFloat16: return xh16.get();
    }
    return nullptr;
  }
  const void* G(DType t) const {
    switch (t) {
      case DType::kFloat32: return g32.get();
      case DType::kFloat64: return g64.get();
      case DType::kBFloat16: return gb16.get();
      case DType::kFloat16: return gh16.get();
    }
    return nullptr;
  }

  Buffer x32, g32, x64, g64, xb16, gb16, xh16, gh16;
  Buffer out, out2;
  Buffer y;  // f(x), the input of backward_from_output
};

Data& DataFor(std::size_t n) {
  static auto* cache = new std::map<std::size_t, std::unique_ptr<Data>>();
  std::unique_ptr<Data>& d = (*cache)[n];
  if (d == nullptr) d = std::make_unique<Data>(n);
  return *d;
}

void SetThroughput(benchmark::State& state, std::size_t n, DType dtype, int streams) {
  const auto elements = static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n);
  state.SetItemsProcessed(elements);
  state.SetBytesProcessed(elements * static_cast<int64_t>(DTypeSize(dtype)) * streams);
}

int g_failures = 0;  // benchmarks whose results were wrong; main exits 1

// ---------------------------------------------------------------------------
// ours: the library, on the calling thread (engine == nullptr) or an Engine.

void BM_Ours(benchmark::State& state, Call call, DType dtype, std::size_t n,
             const Engine* engine) {
  Data& data = DataFor(n);
  LineShape shape;
  Job job{.call = call,
          .dtype = dtype,
          .size = n,
          .input = data.X(dtype),
          .grad = data.G(dtype),
          .output = data.out.get(),
          .derivative = data.out2.get(),
          .shape = shape.For(call, n)};
  if (call.input_kind == InputKind::kOutput) {
    Job forward = job;
    forward.call.mode = Mode::kForward;
    forward.call.input_kind = InputKind::kX;
    forward.output = data.y.get();
    RunSerial(forward);
    job.input = data.y.get();
  }
  for (auto _ : state) {
    if (engine == nullptr) {
      RunSerial(job);
    } else if (absl::Status s = engine->Run({&job, 1}); !s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      ++g_failures;
      break;
    }
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, dtype, Streams(call.mode));
}

// ---------------------------------------------------------------------------
// scalar: the <cmath> loop of each activation's <Name>Naive, one thread.

template <ActivationId kId, typename T>
void NaiveLoop(Mode mode, const ParamValues& params, const T* x, const T* g, T* out,
               T* out2, std::size_t n) {
  using F = NaiveFormula<kId>;
  if constexpr (requires { F::Line(x, out, n); }) {
    // Not elementwise (softmax): lines of kLine, as ours runs them.
    (void)params;
    (void)out2;
    const std::size_t line = std::min(n, kLine);
    for (std::size_t i = 0; i + line <= n; i += line) {
      if (mode == Mode::kBackward) {
        F::LineBackward(x + i, g + i, out + i, line);
      } else {
        F::Line(x + i, out + i, line);
      }
    }
    return;
  } else {
  const ParamValues p = params;  // a local copy: stores to out cannot alias it
  switch (mode) {
    case Mode::kForward:
      for (std::size_t i = 0; i < n; ++i) out[i] = F::Value(x[i], p);
      return;
    case Mode::kDerivative:
      for (std::size_t i = 0; i < n; ++i) out[i] = F::Derivative(x[i], p);
      return;
    case Mode::kForwardAndDerivative:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = F::Value(x[i], p);
        out2[i] = F::Derivative(x[i], p);
      }
      return;
    case Mode::kBackward:
      for (std::size_t i = 0; i < n; ++i) out[i] = g[i] * F::Derivative(x[i], p);
      return;
  }
  }
}

template <typename T>
using NaiveFn = void (*)(Mode, const ParamValues&, const T*, const T*, T*, T*, std::size_t);

template <typename T>
NaiveFn<T> NaiveFor(ActivationId id) {
  switch (id) {
#define BENCH_NAIVE_CASE(Name) \
  case ActivationId::k##Name:  \
    return &NaiveLoop<ActivationId::k##Name, T>;
    ACTIVATION_LIST(BENCH_NAIVE_CASE)
#undef BENCH_NAIVE_CASE
  }
  return nullptr;
}

// Compares the scalar loop's results on a prefix with the library's. Loose:
// the naive formulas lose precision in the tails (1 - tanh^2 is 0 where the
// true value is 1e-13), so the absolute slack is what float32 rounding of a
// value near 1 gives; a wrong function or mode is off by far more.
template <typename T>
bool AgreesWithOurs(const Call& call, DType dtype, const T* x, const T* g, const T* out,
                    const T* out2) {
  const std::size_t m = 1024;  // one line (kLine) of a line-wise entry
  std::vector<T> ours(m), ours2(m);
  RunSerial(Job{.call = call, .dtype = dtype, .size = m, .input = x, .grad = g,
                .output = ours.data(), .derivative = ours2.data()});
  auto close = [](T a, T b) {
    return std::fabs(a - b) <= 1e-3 * std::max(std::fabs(a), std::fabs(b)) + 1e-5;
  };
  for (std::size_t i = 0; i < m; ++i) {
    const bool ok = close(out[i], ours[i]) &&
                    (call.mode != Mode::kForwardAndDerivative || close(out2[i], ours2[i]));
    if (!ok) {
      std::fprintf(stderr, "scalar/%.*s/%.*s: x=%.9g scalar=%.9g ours=%.9g\n",
                   static_cast<int>(GetSpec(call.id).name.size()), GetSpec(call.id).name.data(),
                   static_cast<int>(ModeName(call.mode).size()), ModeName(call.mode).data(),
                   static_cast<double>(x[i]), static_cast<double>(out[i]),
                   static_cast<double>(ours[i]));
      return false;
    }
  }
  return true;
}

template <typename T>
void NaiveInType(benchmark::State& state, const Call& call, DType dtype, std::size_t n) {
  Data& data = DataFor(n);
  const NaiveFn<T> fn = NaiveFor<T>(call.id);
  const auto* x = static_cast<const T*>(data.X(dtype));
  const auto* g = static_cast<const T*>(data.G(dtype));
  auto* out = reinterpret_cast<T*>(data.out.get());
  auto* out2 = reinterpret_cast<T*>(data.out2.get());
  for (auto _ : state) {
    // Called through a pointer the compiler cannot see through from here,
    // and the outputs are clobbered: the loop cannot be elided or hoisted.
    benchmark::DoNotOptimize(fn);
    fn(call.mode, call.params, x, g, out, out2, n);
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, dtype, Streams(call.mode));
  if (!AgreesWithOurs(call, dtype, x, g, out, out2)) {
    state.SkipWithError("scalar loop and library disagree (see stderr)");
    ++g_failures;
  }
}

void BM_Naive(benchmark::State& state, Call call, DType dtype, std::size_t n) {
  if (dtype == DType::kFloat32) {
    NaiveInType<float>(state, call, dtype, n);
  } else {
    NaiveInType<double>(state, call, dtype, n);
  }
}

// ---------------------------------------------------------------------------
// copy: memcpy of the input bytes to the output buffer; on one thread, or
// split in the same 16Ki-element chunks as the Engine over an arena of the
// same size (what the memory system allows the parallel runs at most).

void BM_Copy(benchmark::State& state, DType dtype, std::size_t n, tbb::task_arena* arena) {
  Data& data = DataFor(n);
  const auto* in = static_cast<const std::byte*>(data.X(dtype));
  std::byte* out = data.out.get();
  const std::size_t bytes = n * DTypeSize(dtype);
  const std::size_t chunk = Options().chunk_elements * DTypeSize(dtype);
  for (auto _ : state) {
    if (arena == nullptr) {
      std::memcpy(out, in, bytes);
    } else {
      arena->execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, (bytes + chunk - 1) / chunk, 1),
                          [&](const tbb::blocked_range<std::size_t>& r) {
                            for (std::size_t c = r.begin(); c != r.end(); ++c) {
                              const std::size_t begin = c * chunk;
                              std::memcpy(out + begin, in + begin,
                                          std::min(chunk, bytes - begin));
                            }
                          });
      });
    }
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, dtype, 2);
}

// The bytes of the two-output and two-input modes, moved with memcpy in
// blocks small enough to stay in L1 between the two copies of a block:
//   copy_1in2out: x -> out and x -> out2 (forward_and_derivative's bytes:
//                 one array read, two written; the second read hits L1);
//   copy_2in1out: x -> out, then g -> out (backward's bytes: two arrays
//                 read, one written; the second write hits L1).
// One thread. Small-block memcpy stores through the cache, as the library's
// loops do below its streaming threshold; the 1-in-1-out copy above is one
// memcpy call, which glibc may run with non-temporal stores at 16 Mi.
void BM_Copy3(benchmark::State& state, DType dtype, std::size_t n, bool two_out) {
  Data& data = DataFor(n);
  const auto* x = static_cast<const std::byte*>(data.X(dtype));
  const auto* g = static_cast<const std::byte*>(data.G(dtype));
  std::byte* out = data.out.get();
  std::byte* out2 = data.out2.get();
  const std::size_t bytes = n * DTypeSize(dtype);
  constexpr std::size_t kBlock = 8192;
  for (auto _ : state) {
    for (std::size_t b = 0; b < bytes; b += kBlock) {
      const std::size_t len = std::min(kBlock, bytes - b);
      if (two_out) {
        std::memcpy(out + b, x + b, len);
        std::memcpy(out2 + b, x + b, len);
      } else {
        std::memcpy(out + b, x + b, len);
        std::memcpy(out + b, g + b, len);
      }
    }
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, dtype, 3);
}

// ---------------------------------------------------------------------------

// "a/b/c" from parts. (operator+ chains on std::string trip GCC 12's
// -Wrestrict false positive, PR 105329.)
std::string Path(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (const std::string_view p : parts) {
    if (!s.empty()) s += '/';
    s += p;
  }
  return s;
}

// Registers the whole matrix by expanding the catalogue: no list of
// activations here. Order: sizes outermost, so a run reads small to large.
// One-thread runs are timed in CPU time of the benchmark thread, which is all
// their work and, on a shared machine, excludes the time other processes
// held the core; parallel runs work on TBB's threads and are timed by the
// wall clock (UseRealTime, "/real_time" in their names).
void RegisterAll(const Engine* engine, tbb::task_arena* arena) {
  std::string all = "t";
  all += std::to_string(engine->threads());
  // With one core, "all threads" is the one-thread run: register it once.
  const bool parallel = engine->threads() > 1;
  for (const SizeCase& size : kSizes) {
    for (const DTypeCase& dt : kDTypes) {
      benchmark::RegisterBenchmark(Path({"copy", dt.name, "t1", size.name}).c_str(), BM_Copy,
                                   dt.dtype, size.elements, nullptr);
      if (parallel) {
        benchmark::RegisterBenchmark(Path({"copy", dt.name, all, size.name}).c_str(), BM_Copy,
                                     dt.dtype, size.elements, arena)
            ->UseRealTime();
      }
      benchmark::RegisterBenchmark(Path({"copy_1in2out", dt.name, "t1", size.name}).c_str(),
                                   BM_Copy3, dt.dtype, size.elements, true);
      benchmark::RegisterBenchmark(Path({"copy_2in1out", dt.name, "t1", size.name}).c_str(),
                                   BM_Copy3, dt.dtype, size.elements, false);
      for (const ActivationSpec& spec : Catalog()) {
        for (const ModeCase& m : kModes) {
          absl::StatusOr<Call> call = MakeCall(spec.name, {}, m.mode, m.input_kind);
          if (!call.ok()) continue;  // backward_from_output where f' needs x
          if (m.input_kind == InputKind::kX && !Is16Bit(dt.dtype)) {
            benchmark::RegisterBenchmark(
                Path({"scalar", spec.name, m.name, dt.name, "t1", size.name}).c_str(), BM_Naive,
                *call, dt.dtype, size.elements);
          }
          benchmark::RegisterBenchmark(
              Path({"ours", spec.name, m.name, dt.name, "t1", size.name}).c_str(), BM_Ours,
              *call, dt.dtype, size.elements, nullptr);
          if (parallel) {
            benchmark::RegisterBenchmark(
                Path({"ours", spec.name, m.name, dt.name, all, size.name}).c_str(), BM_Ours,
                *call, dt.dtype, size.elements, engine)
                ->UseRealTime();
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace activations::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const activations::Engine engine;  // all cores
  tbb::task_arena arena(engine.threads());
  benchmark::AddCustomContext("simd_target", std::string(activations::SimdTarget()));
  benchmark::AddCustomContext("engine_threads", std::to_string(engine.threads()));
  activations::bench::RegisterAll(&engine, &arena);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return activations::bench::g_failures == 0 ? 0 : 1;
}
