#include "tools/certify.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <string_view>
#include <utility>

#include "activations/catalog.h"
#include "activations/half_float.h"
#include "activations/reference.h"
#include "tbb/blocked_range.h"
#include "tbb/combinable.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/global_control.h"
#include "tbb/parallel_for.h"

namespace activations::certify {
namespace {

constexpr std::size_t kChunk = kChunkInputs;  // inputs per task

std::uint64_t SplitMix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Values of one dtype, as the bytes a Job reads and writes.
struct Storage {
  DType dtype = DType::kFloat32;
  std::vector<unsigned char> bytes;

  void Resize(DType t, std::size_t n) {
    dtype = t;
    bytes.resize(n * DTypeSize(t));
  }
  void* data() { return bytes.data(); }
  // Rounds each value to the dtype (exact for values already of it) and
  // returns the rounded values, exactly, in `v`.
  void Set(std::vector<double>* v) {
    const std::size_t n = v->size();
    double* d = v->data();
    switch (dtype) {
      case DType::kFloat32: {
        for (std::size_t i = 0; i < n; ++i) {
          const float f = static_cast<float>(d[i]);
          std::memcpy(bytes.data() + 4 * i, &f, 4);
          d[i] = f;
        }
        return;
      }
      case DType::kFloat64: std::memcpy(bytes.data(), d, n * 8); return;
      case DType::kBFloat16:
      case DType::kFloat16:
        for (std::size_t i = 0; i < n; ++i) {
          const std::uint16_t h = dtype == DType::kBFloat16
                                      ? FloatToBFloat16(static_cast<float>(d[i]))
                                      : FloatToFloat16(static_cast<float>(d[i]));
          std::memcpy(bytes.data() + 2 * i, &h, 2);
          d[i] = dtype == DType::kBFloat16 ? BFloat16ToFloat(h) : Float16ToFloat(h);
        }
        return;
    }
  }
  // The first v->size() values, exactly.
  void Get(std::vector<double>* v) const {
    const std::size_t n = v->size();
    double* d = v->data();
    switch (dtype) {
      case DType::kFloat32: {
        for (std::size_t i = 0; i < n; ++i) {
          float f;
          std::memcpy(&f, bytes.data() + 4 * i, 4);
          d[i] = f;
        }
        return;
      }
      case DType::kFloat64: std::memcpy(d, bytes.data(), n * 8); return;
      case DType::kBFloat16:
      case DType::kFloat16:
        for (std::size_t i = 0; i < n; ++i) {
          std::uint16_t h;
          std::memcpy(&h, bytes.data() + 2 * i, 2);
          d[i] = dtype == DType::kBFloat16 ? BFloat16ToFloat(h) : Float16ToFloat(h);
        }
        return;
    }
  }
};

}  // namespace

double InputAt(const Plan& plan, std::uint64_t i) {
  switch (plan.dtype) {
    case DType::kFloat32: {
      const auto bits = static_cast<std::uint32_t>(i * plan.stride);
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    case DType::kBFloat16: return BFloat16ToFloat(static_cast<std::uint16_t>(i));
    case DType::kFloat16: return Float16ToFloat(static_cast<std::uint16_t>(i));
    case DType::kFloat64: {
      const std::uint64_t r = SplitMix64(i);
      if (i % 2 == 0) {
        double d;
        std::memcpy(&d, &r, 8);
        return d;
      }
      return -50 + 100 * static_cast<double>(r >> 11) * 0x1p-53;
    }
  }
  return 0;
}

double GradientAt(std::uint64_t i) {
  const std::uint64_t r = SplitMix64(i ^ 0x5DEECE66Dull);
  const double m = 0.5 + 1.5 * static_cast<double>(r >> 12) * 0x1p-52;
  return (r & 1) ? -m : m;
}

double ExtremeGradientAt(std::uint64_t i, DType dtype) {
  const std::uint64_t r = SplitMix64(i ^ 0x2545F4914F6CDD1Dull);
  const bool f32 = dtype == DType::kFloat32;
  const double max = f32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  const double min = f32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
  const double tiny =
      f32 ? std::numeric_limits<float>::denorm_min() : std::numeric_limits<double>::denorm_min();
  const int digits = f32 ? 24 : 53, emin = f32 ? -125 : -1021, emax = f32 ? 128 : 1024;
  const double u = static_cast<double>(r >> 11) * 0x1p-53;
  double m = 0;
  switch ((r >> 1) & 15) {
    case 0: m = max; break;
    case 1: m = min; break;
    case 2: m = 0; break;
    case 3: m = std::numeric_limits<double>::infinity(); break;
    case 4: m = tiny; break;
    case 5: m = std::ldexp(std::floor(u * 0x1p20), emin - digits); break;  // subnormal
    case 6: m = max * (1 - u / 2); break;                              // just below max
    case 7: m = min * (1 + u); break;
    default: m = std::exp2(emin - digits + u * (emax - emin + digits)); break;
  }
  m = f32 ? static_cast<double>(static_cast<float>(m)) : m;
  return (r & 1) ? -m : m;
}

std::uint64_t InputCount(const Plan& plan) {
  switch (plan.dtype) {
    case DType::kFloat32: return ((std::uint64_t{1} << 32) + plan.stride - 1) / plan.stride;
    case DType::kBFloat16:
    case DType::kFloat16: return 1 << 16;
    case DType::kFloat64: return 2 * plan.samples;
  }
  return 0;
}

std::pair<std::uint64_t, std::uint64_t> ShardRange(const Plan& plan) {
  const std::uint64_t count = InputCount(plan), shards = std::max<std::uint64_t>(plan.shards, 1);
  // floor(count * k / shards) without overflow (for shards < 2^32).
  auto edge = [&](std::uint64_t k) {
    return count / shards * k + count % shards * k / shards;
  };
  return {edge(std::min(plan.shard, shards)), edge(std::min(plan.shard + 1, shards))};
}

std::vector<ParameterSet> ParameterSets(const ActivationSpec& spec, bool non_default) {
  std::vector<ParameterSet> sets = {{}};
  if (!non_default) return sets;
  // The test's rule (accuracy_test.cc): a parameter moved up by 0.37 of its
  // scale, rounded to float32; the first the spec accepts.
  for (const ParamSpec& p : spec.params) {
    const double scale = std::max(1.0, std::fabs(p.default_value));
    double v = p.default_value + 0.37 * scale;
    v = p.integer ? std::round(v) : static_cast<double>(static_cast<float>(v));
    ParameterSet set = {{p.name, v}};
    if (MakeCall(spec.name, set, Mode::kForward).ok()) {
      sets.push_back(set);
      break;
    }
  }
  return sets;
}

namespace {

// The edges of one parameter's valid range (WideParameterSets), float32.
std::vector<double> ParamEdges(const ParamSpec& p) {
  constexpr double kTiny = 0x1p-100, kHuge = 0x1p100;
  const Range& r = p.valid_range;
  std::vector<double> e;
  auto add = [&](double v) {
    if (std::isfinite(v) && r.Contains(v) && std::find(e.begin(), e.end(), v) == e.end()) {
      e.push_back(v);
    }
  };
  for (const double end : {r.min, r.max}) {
    const double inward = end == r.min ? 1 : -1;
    if (std::isinf(end)) {
      add(end < 0 ? -kHuge : kHuge);
    } else {
      if (end == r.min ? r.min_inclusive : r.max_inclusive) add(end);
      // Just inside the end: relative to its size, absolutely at 0.
      add(static_cast<float>(end == 0 ? inward * kTiny : end + inward * std::fabs(end) * 0x1p-20));
    }
  }
  if (p.default_value == 0) {
    add(kTiny);
    add(-kTiny);
  }
  return e;
}

// A log-uniform magnitude in [2^-100, 2^100] with a sign the range allows
// (or an edge, one time in four), float32.
double DrawParam(const ParamSpec& p, std::uint64_t* state) {
  const std::uint64_t r = SplitMix64((*state)++);
  const std::vector<double> edges = ParamEdges(p);
  if ((r & 3) == 0 && !edges.empty()) return edges[(r >> 2) % edges.size()];
  const double m = std::exp2(-100 + 200 * static_cast<double>(r >> 11) * 0x1p-53);
  const Range& range = p.valid_range;
  for (const double v : {(r & 4) ? -m : m, (r & 4) ? m : -m}) {
    const auto f = static_cast<double>(static_cast<float>(v));
    if (range.Contains(f)) return f;
  }
  // A range of one sign away from 0 (none in the catalogue today): its ends.
  return edges.empty() ? p.default_value : edges[0];
}

}  // namespace

std::vector<ParameterSet> WideParameterSets(const ActivationSpec& spec, int n,
                                            std::uint64_t seed) {
  std::vector<ParameterSet> sets;
  std::vector<std::string> labels;
  if (spec.params.empty() || n <= 0) return sets;
  auto add = [&](ParameterSet set) {
    if (static_cast<int>(sets.size()) >= n) return;
    if (!MakeCall(spec.name, set, Mode::kForward).ok()) {
      if (set.size() != 2) return;
      std::swap(set[0].second, set[1].second);
      if (!MakeCall(spec.name, set, Mode::kForward).ok()) return;
    }
    const absl::StatusOr<Call> call = MakeCall(spec.name, set, Mode::kForward);
    const std::string label = ParamsLabel(spec, *call);
    if (label.empty() || std::find(labels.begin(), labels.end(), label) != labels.end()) return;
    labels.push_back(label);
    sets.push_back(std::move(set));
  };
  for (const ParamSpec& p : spec.params) {
    for (const double v : ParamEdges(p)) add({{p.name, v}});
  }
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull;
  for (char c : spec.name) state = state * 31 + static_cast<unsigned char>(c);
  for (int tries = 0; static_cast<int>(sets.size()) < n && tries < 16 * n; ++tries) {
    ParameterSet set;
    for (const ParamSpec& p : spec.params) set.emplace_back(p.name, DrawParam(p, &state));
    add(std::move(set));
  }
  return sets;
}

std::string ParamsLabel(const ActivationSpec& spec, const Call& call) {
  std::string s;
  for (std::size_t i = 0; i < spec.params.size(); ++i) {
    if (call.params[i] == spec.params[i].default_value) continue;
    if (!s.empty()) s += ", ";
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.9g", call.params[i]);
    s.append(spec.params[i].name).append("=").append(buf);
  }
  return s;
}

namespace {

// One call of a function: its modes as rows.
struct Target {
  std::string function, params;
  Call forward, derivative, both, backward;
  bool from_output = false;
  Call derivative_y, backward_y;
};

absl::StatusOr<std::vector<Target>> Targets(const Plan& plan) {
  for (const std::string& name : plan.functions) {
    const ActivationSpec* spec = FindSpec(name);
    if (spec == nullptr || !spec->elementwise) {
      std::string valid;
      for (const ActivationSpec& s : Catalog()) {
        if (s.elementwise) valid.append(valid.empty() ? "" : ", ").append(s.name);
      }
      return absl::InvalidArgumentError(
          std::string("certify: function '").append(name).append(
              spec ? "' is not elementwise (softmax's lines are checked by "
                     "tests/activations' LineWiseEntries); elementwise: "
                   : "' is not in the catalogue; elementwise: ").append(valid));
    }
  }
  std::vector<Target> targets;
  for (const ActivationSpec& spec : Catalog()) {
    if (!spec.elementwise) continue;  // lines: tests/activations (LineWiseEntries)
    if (!plan.functions.empty() &&
        std::find(plan.functions.begin(), plan.functions.end(), spec.name) ==
            plan.functions.end()) {
      continue;
    }
    const std::vector<ParameterSet> param_sets = ParameterSets(spec, plan.non_default);
    for (std::size_t k = 0; k < param_sets.size(); ++k) {
      const auto& set = param_sets[k];
      Target t;
      t.function = std::string(spec.name);
      t.forward = *MakeCall(spec.name, set, Mode::kForward);
      t.derivative = *MakeCall(spec.name, set, Mode::kDerivative);
      t.both = *MakeCall(spec.name, set, Mode::kForwardAndDerivative);
      t.backward = *MakeCall(spec.name, set, Mode::kBackward);
      t.params = ParamsLabel(spec, t.forward);
      t.from_output = spec.derivative_from_output;
      if (t.from_output) {
        t.derivative_y = *MakeCall(spec.name, set, Mode::kDerivative, InputKind::kOutput);
        t.backward_y = *MakeCall(spec.name, set, Mode::kBackward, InputKind::kOutput);
      }
      targets.push_back(t);
    }
  }
  return targets;
}

// The worst so far of one row, with the input's index to break ties
// deterministically (the smallest index wins), whatever the thread order.
struct Worst {
  double ulp = -1;
  std::uint64_t index = 0;
  double input = 0, got = 0;
  long double want = 0;
  std::uint64_t checked = 0, over = 0;

  void Add(double err, std::uint64_t i, double x, double got_i, long double w, double bound) {
    if (err > bound) ++over;
    if (err > ulp || (err == ulp && i < index)) {
      ulp = err;
      index = i;
      input = x;
      got = got_i;
      want = w;
    }
  }
  void Merge(const Worst& o) {
    const std::uint64_t c = checked + o.checked, v = over + o.over;
    if (o.ulp > ulp || (o.ulp == ulp && o.index < index)) *this = o;
    checked = c;
    over = v;
  }
};

// Rows of one target: forward, derivative, forward_and_derivative's two
// tensors, backward and, where allowed, derivative and backward from y.
constexpr int kRows = 7;
constexpr int kFirstFromOutputRow = 5;
const char* const kRowNames[kRows] = {"forward",
                                      "derivative",
                                      "forward_and_derivative: f",
                                      "forward_and_derivative: f'",
                                      "backward",
                                      "derivative (from y)",
                                      "backward (from y)"};
// Each row's bit of Plan::rows.
constexpr unsigned kRowBit[kRows] = {kForwardRow,
                                     kDerivativeRow,
                                     kForwardAndDerivativeRows,
                                     kForwardAndDerivativeRows,
                                     kBackwardRow,
                                     kDerivativeFromOutputRow,
                                     kBackwardFromOutputRow};
constexpr const char* kRowSetNames[] = {"forward",  "derivative",        "forward_and_derivative",
                                        "backward", "derivative_from_y", "backward_from_y"};

// The row's call and tensor.
struct RowCall {
  const Call* call;
  ResultTensor tensor;
};
std::array<RowCall, kRows> RowCalls(const Target& t) {
  constexpr auto kOut = ResultTensor::kOutput;
  return {{{&t.forward, kOut},
           {&t.derivative, kOut},
           {&t.both, kOut},
           {&t.both, ResultTensor::kDerivative},
           {&t.backward, kOut},
           {&t.derivative_y, kOut},
           {&t.backward_y, kOut}}};
}

bool Checks(const Plan& plan, const Target& t, int k) {
  return (plan.rows & kRowBit[k]) != 0 && (k < kFirstFromOutputRow || t.from_output);
}

// One thread's buffers, reused from chunk to chunk: inputs, gradients and
// y = f(x) as the dtype's bytes and exactly as doubles, the references, and
// each kernel result.
struct Scratch {
  Storage x, g, y, out[kRows];
  std::vector<double> xd, gd, yd, got[kRows];
  std::vector<long double> f, df, dy;
};

// The contract's error of one row's elements: ContractUlp for float32 and
// float64 (bounds looked up once), reference::ContractUlpError for the
// 16-bit types.
class RowError {
 public:
  RowError(DType dtype, const Call& call, bool is_derivative)
      : dtype_(dtype), call_(call), f32_(call, is_derivative), f64_(call, is_derivative) {}
  double operator()(double got, long double want, double input, double grad) const {
    switch (dtype_) {
      case DType::kFloat32: return f32_(static_cast<float>(got), want, input, grad);
      case DType::kFloat64: return f64_(got, want, input, grad);
      default: return reference::ContractUlpError(dtype_, call_, got, want);
    }
  }

 private:
  DType dtype_;
  Call call_;
  reference::ContractUlp<float> f32_;
  reference::ContractUlp<double> f64_;
};

// An upper bound on reference::UlpError<float>(got, want), and so on the
// contract's error, which is never larger (ContractUlp only lowers it to 0),
// computed in double; +inf where it is not cheap. Most elements of a row are
// then settled without the exact, long double, error: those whose bound is
// below the row's worst so far and within the row's bound change neither.
// Why it bounds: w = double(want) is within 2^-53 |w| of want, and unless w
// is a power of two, want lies in w's binade (rounding to double crosses no
// power of two without landing on it), so ulp(want) = 2^(e - 23) for w in
// [2^e, 2^(e+1)); at a power of two, ulp(want) is at least half that. In
// float's normal range below 2^127 (further up, want may round to inf, where
// the error is counted differently), |got - want| <= |got - w| + 2^-53 |w|,
// |got - w| in double is off by 2^-53 of itself, and 2^-53 |w| / ulp(want)
// <= 2^-28: hence the factor and the 2^-26 added. Below float's normal
// range UlpError's ULP is never below denorm_min = 2^-149 (it is larger only
// where want is below double's range: there want, and w - want, are below
// 2^-1074, which is 2^-925 ULP).
double UlpErrorUpperBound(double got, long double want) {
  const double w = static_cast<double>(want);
  const double a = std::fabs(w);
  if (!std::isfinite(got) || !(a < 0x1p127)) return std::numeric_limits<double>::infinity();
  if (a < 0x1p-126) return std::fabs(got - w) * 0x1p149 * (1 + 0x1p-50) + 0x1p-26;
  std::uint64_t bits;
  std::memcpy(&bits, &a, 8);
  const bool power_of_two = (bits & ((std::uint64_t{1} << 52) - 1)) == 0;
  // 1 / ulp: 2^(23 - e), one more at a power of two; its bits directly.
  const int e = static_cast<int>(bits >> 52) - 1023;
  const std::uint64_t inv_bits = static_cast<std::uint64_t>(1023 + 23 - e + power_of_two) << 52;
  double inv_ulp;
  std::memcpy(&inv_ulp, &inv_bits, 8);
  return std::fabs(got - w) * inv_ulp * (1 + 0x1p-50) + 0x1p-26;
}

// The inputs [begin, end) of the plan into s: x, the gradients where a
// backward row needs them, the references s.f (if `want_f` or a "from y"
// row needs y) and s.df (if `want_df`), and y = f(x) rounded for the
// "from y" rows.
void PrepareInputs(const Plan& plan, const Target& t, std::uint64_t begin, std::size_t n,
                   const bool row[kRows], bool want_f, bool want_df, Scratch& s) {
  const DType dt = plan.dtype;
  const bool from_y = row[5] || row[6];
  for (Storage* st : {&s.x, &s.g, &s.y}) st->Resize(dt, n);
  for (std::vector<double>* v : {&s.xd, &s.gd, &s.yd}) v->resize(n);
  for (std::size_t i = 0; i < n; ++i) s.xd[i] = InputAt(plan, begin + i);
  s.x.Set(&s.xd);
  if (row[4] || row[6]) {
    for (std::size_t i = 0; i < n; ++i) s.gd[i] = GradientAt(begin + i);
    s.g.Set(&s.gd);
  }
  // The references, once per input for every row that needs them (the same
  // values reference::Evaluate gives in each row's own mode).
  want_f = want_f || from_y;
  if (want_f) s.f.resize(n);
  if (want_df) s.df.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (want_f) s.f[i] = reference::Evaluate(t.forward, s.xd[i]).output;
    if (want_df) s.df[i] = reference::Evaluate(t.derivative, s.xd[i]).output;
  }
  if (from_y) {
    // "From y" rows take y = f(x) rounded to the dtype, as a caller holds
    // it: every output f reaches from this plan's inputs.
    for (std::size_t i = 0; i < n; ++i) s.yd[i] = static_cast<double>(s.f[i]);
    s.y.Set(&s.yd);
  }
}

// Each row's kernel on the prepared inputs, into s.out[k] (the dtype's
// bytes) and, with `as_double`, exactly into s.got[k].
void RunKernels(DType dt, const Target& t, std::size_t n, const bool row[kRows], bool as_double,
                Scratch& s) {
  auto run = [&](const Call& call, Storage& in, int k, int k2) {
    s.out[k].Resize(dt, n);
    if (k2 >= 0) s.out[k2].Resize(dt, n);
    RunSerial(Job{call, dt, n, in.data(), s.g.data(), s.out[k].data(),
                  k2 >= 0 ? s.out[k2].data() : nullptr});
    if (!as_double) return;
    for (int j : {k, k2}) {
      if (j < 0) continue;
      s.got[j].resize(n);
      s.out[j].Get(&s.got[j]);
    }
  };
  if (row[0]) run(t.forward, s.x, 0, -1);
  if (row[1]) run(t.derivative, s.x, 1, -1);
  if (row[2]) run(t.both, s.x, 2, 3);
  if (row[4]) run(t.backward, s.x, 4, -1);
  if (row[5]) run(t.derivative_y, s.y, 5, -1);
  if (row[6]) run(t.backward_y, s.y, 6, -1);
}

// Checks inputs [begin, end) of the plan against target t, into rows[k]
// for each row the plan checks.
void CheckChunk(const Plan& plan, const Target& t, std::uint64_t begin, std::uint64_t end,
                Scratch& s, Worst* rows) {
  const std::size_t n = end - begin;
  const DType dt = plan.dtype;
  bool row[kRows];
  for (int k = 0; k < kRows; ++k) row[k] = Checks(plan, t, k);
  const bool need_f = row[0] || row[2];
  const bool need_df = row[1] || row[3] || row[4];
  PrepareInputs(plan, t, begin, n, row, need_f, need_df, s);
  if (row[5] || row[6]) {
    s.dy.resize(n);
    // Equal outputs come in runs (where f saturates): the reference once
    // per run.
    for (std::size_t i = 0; i < n; ++i) {
      s.dy[i] = i > 0 && std::memcmp(&s.yd[i], &s.yd[i - 1], sizeof(double)) == 0
                    ? s.dy[i - 1]
                    : reference::Evaluate(t.derivative_y, s.yd[i]).output;
    }
  }
  // The kernels, on the whole chunk.
  RunKernels(dt, t, n, row, /*as_double=*/true, s);
  // Each row against its reference.
  const std::array<RowCall, kRows> row_calls = RowCalls(t);
  for (int k = 0; k < kRows; ++k) {
    if (!row[k]) continue;
    const bool is_derivative = k != 0 && k != 2;
    const RowError error(dt, *row_calls[k].call, is_derivative);
    const double bound = plan.bound(*row_calls[k].call, dt, row_calls[k].tensor);
    const bool backward = k == 4 || k == 6;
    const std::vector<long double>& want = k == 0 || k == 2 ? s.f : k >= 5 ? s.dy : s.df;
    const std::vector<double>& in = k >= 5 ? s.yd : s.xd;
    const std::vector<double>& got = s.got[k];
    const bool float32 = dt == DType::kFloat32;
    Worst& w = rows[k];
    w.checked += n;
    for (std::size_t i = 0; i < n; ++i) {
      long double want_i = want[i];
      double grad = 1;
      if (backward) {
        // g f', a select where f' = 0 (reference::Evaluate's rule).
        grad = s.gd[i];
        want_i = want_i == 0 && !std::isnan(grad) ? 0 : grad * want_i;
      }
      if (float32) {
        // Settled without the exact error: an element that can be neither
        // the worst (not even a tie) nor over the bound.
        const double upper = UlpErrorUpperBound(got[i], want_i);
        if (upper < w.ulp && upper <= bound) continue;
      }
      // Exact results (NaN for NaN too): error 0 whatever the contract's
      // exceptions.
      const bool exact = got[i] == want_i || (std::isnan(got[i]) && std::isnan(want_i));
      const double err = exact ? 0 : error(got[i], want_i, in[i], grad);
      w.Add(err, begin + i, in[i], got[i], want_i, bound);
    }
  }
}

}  // namespace

std::string_view RowSetName(unsigned bit) {
  for (int i = 0; i < 6; ++i) {
    if (bit == 1u << i) return kRowSetNames[i];
  }
  return "";
}

absl::StatusOr<unsigned> ParseRowSet(std::string_view names) {
  unsigned bits = 0;
  while (!names.empty()) {
    const std::size_t comma = names.find(',');
    const std::string_view name = names.substr(0, comma);
    names = comma == std::string_view::npos ? "" : names.substr(comma + 1);
    const auto* it = std::find(std::begin(kRowSetNames), std::end(kRowSetNames), name);
    if (it == std::end(kRowSetNames)) {
      std::string valid;
      for (const char* v : kRowSetNames) valid.append(valid.empty() ? "" : ", ").append(v);
      return absl::InvalidArgumentError(std::string("certify: --rows: '")
                                            .append(name)
                                            .append("' is not a row kind; valid: ")
                                            .append(valid));
    }
    bits |= 1u << (it - std::begin(kRowSetNames));
  }
  return bits;
}

namespace {

// The plan's thread count for as long as the result lives (none: all cores).
std::unique_ptr<tbb::global_control> ThreadLimit(const Plan& plan) {
  if (plan.threads <= 0) return nullptr;
  return std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                               plan.threads);
}

// fn(c, begin, end) for each chunk c of kChunk inputs of [first, last), in
// parallel.
template <class Fn>
void ForEachChunk(std::uint64_t first, std::uint64_t last, const Fn& fn) {
  tbb::parallel_for(tbb::blocked_range<std::uint64_t>(0, (last - first + kChunk - 1) / kChunk, 1),
                    [&](const tbb::blocked_range<std::uint64_t>& r) {
                      for (std::uint64_t c = r.begin(); c != r.end(); ++c) {
                        const std::uint64_t b = first + c * kChunk;
                        fn(c, b, std::min(last, b + kChunk));
                      }
                    });
}

}  // namespace

absl::StatusOr<std::vector<Row>> Run(const Plan& plan) {
  absl::StatusOr<std::vector<Target>> targets = Targets(plan);
  if (!targets.ok()) return targets.status();
  const std::unique_ptr<tbb::global_control> limit = ThreadLimit(plan);
  // (Not a structured binding: clang 14 cannot capture one in a lambda.)
  const std::pair<std::uint64_t, std::uint64_t> range = ShardRange(plan);
  const std::uint64_t first = range.first, last = range.second;
  tbb::enumerable_thread_specific<Scratch> scratch;
  std::vector<Row> rows;
  for (const Target& t : *targets) {
    tbb::combinable<std::vector<Worst>> local([] { return std::vector<Worst>(kRows); });
    ForEachChunk(first, last, [&](std::uint64_t c, std::uint64_t b, std::uint64_t e) {
      if (plan.only_chunks && !plan.only_chunks(t.function, t.params, c)) return;
      CheckChunk(plan, t, b, e, scratch.local(), local.local().data());
    });
    std::vector<Worst> worst(kRows);
    local.combine_each([&](const std::vector<Worst>& w) {
      for (int k = 0; k < kRows; ++k) worst[k].Merge(w[k]);
    });
    const std::array<RowCall, kRows> row_calls = RowCalls(t);
    for (int k = 0; k < kRows; ++k) {
      if (!Checks(plan, t, k)) continue;
      Row row;
      row.function = t.function;
      row.params = t.params;
      row.mode = kRowNames[k];
      row.max_ulp = std::max(0.0, worst[k].ulp);
      row.worst_input = worst[k].input;
      row.worst_index = worst[k].index;
      row.worst_got = worst[k].got;
      row.worst_want = worst[k].want;
      row.bound = plan.bound(*row_calls[k].call, plan.dtype, row_calls[k].tensor);
      row.checked = worst[k].checked;
      row.over_bound = worst[k].over;
      rows.push_back(row);
    }
  }
  return rows;
}

namespace {

// A 64-bit hash of `bytes` bytes (a multiple of 2): four lanes over the
// 64-bit words, each step bijective in its lane (xor, multiply by an odd
// constant, rotate), so that changing any one word always changes the hash;
// the lanes and the length mixed at the end.
std::uint64_t HashBytes(const unsigned char* p, std::size_t bytes) {
  std::uint64_t lane[4] = {0x243F6A8885A308D3ull, 0x13198A2E03707344ull, 0xA4093822299F31D0ull,
                           0x082EFA98EC4E6C89ull};
  const std::size_t words = bytes / 8;
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t w;
    std::memcpy(&w, p + 8 * i, 8);
    std::uint64_t& l = lane[i % 4];
    l = (l ^ w) * 0x9FB21C651E98DF25ull;
    l = (l << 29) | (l >> 35);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p + 8 * words, bytes - 8 * words);
  std::uint64_t h = SplitMix64(bytes ^ tail);
  for (std::uint64_t l : lane) h = SplitMix64(h ^ l);
  return h;
}

}  // namespace

namespace {

// Each chunk's hash per row of target t over the plan's shard, in chunk
// order; rows the plan does not check stay 0.
std::vector<std::array<std::uint64_t, kRows>> RowHashesPerChunk(
    const Plan& plan, const Target& t, std::uint64_t first, std::uint64_t last,
    tbb::enumerable_thread_specific<Scratch>& scratch) {
  bool row[kRows];
  for (int k = 0; k < kRows; ++k) row[k] = Checks(plan, t, k);
  std::vector<std::array<std::uint64_t, kRows>> hashes((last - first + kChunk - 1) / kChunk);
  ForEachChunk(first, last, [&](std::uint64_t c, std::uint64_t b, std::uint64_t e) {
    Scratch& s = scratch.local();
    const std::size_t n = e - b;
    PrepareInputs(plan, t, b, n, row, false, false, s);
    RunKernels(plan.dtype, t, n, row, /*as_double=*/false, s);
    hashes[c].fill(0);
    for (int k = 0; k < kRows; ++k) {
      if (row[k]) hashes[c][k] = HashBytes(s.out[k].bytes.data(), n * DTypeSize(plan.dtype));
    }
  });
  return hashes;
}

}  // namespace

namespace {

// fn(t, hashes, first, last) for each target t of the plan, with
// RowHashesPerChunk's hashes of t over the plan's shard [first, last); the
// targets' error if the plan names an unknown function.
template <class Fn>
absl::Status ForEachTargetsHashes(const Plan& plan, const Fn& fn) {
  absl::StatusOr<std::vector<Target>> targets = Targets(plan);
  if (!targets.ok()) return targets.status();
  const std::unique_ptr<tbb::global_control> limit = ThreadLimit(plan);
  const std::pair<std::uint64_t, std::uint64_t> range = ShardRange(plan);
  tbb::enumerable_thread_specific<Scratch> scratch;
  for (const Target& t : *targets) {
    fn(t, RowHashesPerChunk(plan, t, range.first, range.second, scratch), range.first,
       range.second);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Fingerprints(const Plan& plan, std::vector<FingerprintRow>* rows,
                          std::vector<ChunkFingerprint>* chunks) {
  return ForEachTargetsHashes(
      plan, [&](const Target& t, const std::vector<std::array<std::uint64_t, kRows>>& hashes,
                std::uint64_t first, std::uint64_t last) {
        // Combined in input order: the same result whatever the thread count.
        for (int k = 0; rows != nullptr && k < kRows; ++k) {
          if (!Checks(plan, t, k)) continue;
          FingerprintRow f;
          f.function = t.function;
          f.params = t.params;
          f.mode = kRowNames[k];
          f.hash = SplitMix64(first ^ (last << 1));
          for (const std::array<std::uint64_t, kRows>& h : hashes) {
            f.hash = SplitMix64(f.hash ^ h[k]);
          }
          f.inputs = last - first;
          rows->push_back(f);
        }
        if (chunks == nullptr) return;
        ChunkFingerprint f;
        f.function = t.function;
        f.params = t.params;
        f.hashes.reserve(hashes.size());
        for (std::uint64_t c = 0; c < hashes.size(); ++c) {
          // The chunk's first input and each row's number in: the same
          // outputs elsewhere, or in another row, hash differently.
          std::uint64_t h = SplitMix64(first + c * kChunk);
          for (int k = 0; k < kRows; ++k) {
            if (Checks(plan, t, k)) {
              h = SplitMix64(h ^ hashes[c][k] ^ static_cast<std::uint64_t>(k));
            }
          }
          f.hashes.push_back(h);
        }
        chunks->push_back(std::move(f));
      });
}

absl::StatusOr<std::vector<FingerprintRow>> Fingerprint(const Plan& plan) {
  std::vector<FingerprintRow> rows;
  const absl::Status status = Fingerprints(plan, &rows, nullptr);
  if (!status.ok()) return status;
  return rows;
}

absl::StatusOr<std::vector<ChunkFingerprint>> FingerprintChunks(const Plan& plan) {
  std::vector<ChunkFingerprint> chunks;
  const absl::Status status = Fingerprints(plan, nullptr, &chunks);
  if (!status.ok()) return status;
  return chunks;
}

absl::StatusOr<std::vector<Row>> MergeRows(const std::vector<std::vector<Row>>& pieces) {
  if (pieces.empty()) return std::vector<Row>();
  std::vector<Row> rows = pieces[0];
  for (std::size_t p = 1; p < pieces.size(); ++p) {
    if (pieces[p].size() != rows.size()) {
      return absl::InvalidArgumentError("certify: the pieces to merge have different rows");
    }
    for (std::size_t k = 0; k < rows.size(); ++k) {
      Row& r = rows[k];
      const Row& o = pieces[p][k];
      if (o.function != r.function || o.params != r.params || o.mode != r.mode ||
          o.bound != r.bound) {
        return absl::InvalidArgumentError(std::string("certify: the pieces to merge differ at row ")
                                              .append(std::to_string(k))
                                              .append(": ")
                                              .append(r.function)
                                              .append(" ")
                                              .append(r.mode)
                                              .append(" against ")
                                              .append(o.function)
                                              .append(" ")
                                              .append(o.mode));
      }
      // An empty piece (no input checked) has no worst input.
      const bool worse = o.max_ulp > r.max_ulp ||
                         (o.max_ulp == r.max_ulp && o.worst_index < r.worst_index);
      const bool take = r.checked == 0 || (o.checked > 0 && worse);
      const std::uint64_t checked = r.checked + o.checked, over = r.over_bound + o.over_bound;
      if (take) r = o;
      r.checked = checked;
      r.over_bound = over;
    }
  }
  return rows;
}

}  // namespace activations::certify
