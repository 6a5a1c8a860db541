#include "tools/certify.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>
#include <utility>

#include "activations/catalog.h"
#include "activations/half_float.h"
#include "activations/reference.h"
#include "tbb/blocked_range.h"
#include "tbb/combinable.h"
#include "tbb/global_control.h"
#include "tbb/parallel_for.h"

namespace activations::certify {
namespace {

constexpr std::size_t kChunk = 1 << 16;  // inputs per task

std::uint64_t SplitMix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Values of one dtype: exact as double, and as the bytes a Job reads.
struct Storage {
  DType dtype;
  std::vector<unsigned char> bytes;

  Storage(DType t, std::size_t n) : dtype(t), bytes(n * DTypeSize(t)) {}
  void* data() { return bytes.data(); }
  // Rounds v to the dtype (exact for values already of it).
  void Set(std::size_t i, double v) {
    unsigned char* p = bytes.data() + i * DTypeSize(dtype);
    switch (dtype) {
      case DType::kFloat32: { const float f = static_cast<float>(v); std::memcpy(p, &f, 4); return; }
      case DType::kFloat64: std::memcpy(p, &v, 8); return;
      case DType::kBFloat16: { const auto h = FloatToBFloat16(static_cast<float>(v)); std::memcpy(p, &h, 2); return; }
      case DType::kFloat16: { const auto h = FloatToFloat16(static_cast<float>(v)); std::memcpy(p, &h, 2); return; }
    }
  }
  double Get(std::size_t i) const {
    const unsigned char* p = bytes.data() + i * DTypeSize(dtype);
    switch (dtype) {
      case DType::kFloat32: { float f; std::memcpy(&f, p, 4); return f; }
      case DType::kFloat64: { double f; std::memcpy(&f, p, 8); return f; }
      case DType::kBFloat16: { std::uint16_t h; std::memcpy(&h, p, 2); return BFloat16ToFloat(h); }
      case DType::kFloat16: { std::uint16_t h; std::memcpy(&h, p, 2); return Float16ToFloat(h); }
    }
    return 0;
  }
};

// Input number i of the plan (i < Count(plan)), exactly a value of the dtype.
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

std::uint64_t Count(const Plan& plan) {
  switch (plan.dtype) {
    case DType::kFloat32: return ((std::uint64_t{1} << 32) + plan.stride - 1) / plan.stride;
    case DType::kBFloat16:
    case DType::kFloat16: return 1 << 16;
    case DType::kFloat64: return 2 * plan.samples;
  }
  return 0;
}

// The upstream gradient for input i: +-[0.5, 2), so g f' rounds as a real
// product does.
double GradAt(std::uint64_t i) {
  const std::uint64_t r = SplitMix64(i ^ 0x5DEECE66Dull);
  const double m = 0.5 + 1.5 * static_cast<double>(r >> 12) * 0x1p-52;
  return (r & 1) ? -m : m;
}

// One call of a function: its modes as rows.
struct Target {
  std::string function, params;
  Call forward, derivative, both, backward;
  bool from_output = false;
  Call derivative_y, backward_y;
};

std::string ParamsLabel(const ActivationSpec& spec, const Call& call, bool defaults) {
  if (defaults) return "";
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
    std::vector<std::vector<std::pair<std::string_view, double>>> param_sets = {{}};
    if (plan.non_default) {
      // The test's rule (accuracy_test.cc): a parameter moved up by 0.37 of
      // its scale, rounded to float32; the first the spec accepts.
      for (const ParamSpec& p : spec.params) {
        const double scale = std::max(1.0, std::fabs(p.default_value));
        double v = p.default_value + 0.37 * scale;
        v = p.integer ? std::round(v) : static_cast<double>(static_cast<float>(v));
        std::vector<std::pair<std::string_view, double>> set = {{p.name, v}};
        if (MakeCall(spec.name, set, Mode::kForward).ok()) {
          param_sets.push_back(set);
          break;
        }
      }
    }
    for (std::size_t k = 0; k < param_sets.size(); ++k) {
      const auto& set = param_sets[k];
      Target t;
      t.function = std::string(spec.name);
      t.forward = *MakeCall(spec.name, set, Mode::kForward);
      t.derivative = *MakeCall(spec.name, set, Mode::kDerivative);
      t.both = *MakeCall(spec.name, set, Mode::kForwardAndDerivative);
      t.backward = *MakeCall(spec.name, set, Mode::kBackward);
      t.params = ParamsLabel(spec, t.forward, k == 0);
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
    ++checked;
    if (err > bound) ++over;
    if (err > ulp || (err == ulp && i < index)) *this = {err, i, x, got_i, w, checked, over};
  }
  void Merge(const Worst& o) {
    const std::uint64_t c = checked + o.checked, v = over + o.over;
    if (o.ulp > ulp || (o.ulp == ulp && o.index < index)) *this = o;
    checked = c;
    over = v;
  }
};

double Contract(DType dtype, const Call& call, double got, long double want, double x,
                double g, bool is_derivative) {
  switch (dtype) {
    case DType::kFloat32:
      return reference::ContractUlpError<float>(call, static_cast<float>(got), want, x, g,
                                                is_derivative);
    case DType::kFloat64:
      return reference::ContractUlpError<double>(call, got, want, x, g, is_derivative);
    default:
      return reference::ContractUlpError(dtype, call, got, want);
  }
}

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

void CheckChunk(const Plan& plan, const Target& t, std::uint64_t begin, std::uint64_t end,
                Worst* rows) {
  const std::size_t n = end - begin;
  const DType dt = plan.dtype;
  Storage x(dt, n), g(dt, n), y(dt, n), f(dt, n), d(dt, n), b1(dt, n), b2(dt, n), bw(dt, n),
      dy(dt, n), by(dt, n);
  std::vector<reference::Element> e(n);
  for (std::size_t i = 0; i < n; ++i) {
    x.Set(i, InputAt(plan, begin + i));
    g.Set(i, GradAt(begin + i));
    e[i] = reference::Evaluate(t.both, x.Get(i));
    // "From y" rows take y = f(x) rounded to the dtype, as a caller holds
    // it: every output f reaches from this plan's inputs.
    y.Set(i, static_cast<double>(e[i].output));
  }
  auto run = [&](const Call& call, Storage* in, Storage* out, Storage* out2) {
    RunSerial(Job{call, dt, n, in->data(), g.data(), out->data(), out2 ? out2->data() : nullptr});
  };
  run(t.forward, &x, &f, nullptr);
  run(t.derivative, &x, &d, nullptr);
  run(t.both, &x, &b1, &b2);
  run(t.backward, &x, &bw, nullptr);
  if (t.from_output) {
    run(t.derivative_y, &y, &dy, nullptr);
    run(t.backward_y, &y, &by, nullptr);
  }
  const std::array<RowCall, kRows> row_calls = RowCalls(t);
  double bound[kRows];
  for (int k = 0; k < kRows; ++k) {
    bound[k] = k < kFirstFromOutputRow || t.from_output
                   ? plan.bound(*row_calls[k].call, dt, row_calls[k].tensor)
                   : 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t idx = begin + i;
    const double xi = x.Get(i), gi = g.Get(i);
    const reference::Element& ei = e[i];
    // backward: g f', a select where f' = 0 (reference::Evaluate's rule).
    auto times_g = [&](long double deriv) -> long double {
      return deriv == 0 && !std::isnan(gi) ? 0 : gi * deriv;
    };
    // One element of row k: got against want, at input `in` (x, or y).
    auto add = [&](int k, double got, long double want, double in, double grad,
                   bool is_derivative) {
      rows[k].Add(Contract(dt, *row_calls[k].call, got, want, in, grad, is_derivative), idx, in,
                  got, want, bound[k]);
    };
    add(0, f.Get(i), ei.output, xi, 1, false);
    add(1, d.Get(i), ei.derivative, xi, 1, true);
    add(2, b1.Get(i), ei.output, xi, 1, false);
    add(3, b2.Get(i), ei.derivative, xi, 1, true);
    add(4, bw.Get(i), times_g(ei.derivative), xi, gi, true);
    if (t.from_output) {
      const double yi = y.Get(i);
      const long double dyw = reference::Evaluate(t.derivative_y, yi).output;
      add(5, dy.Get(i), dyw, yi, 1, true);
      add(6, by.Get(i), times_g(dyw), yi, gi, true);
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<Row>> Run(const Plan& plan) {
  absl::StatusOr<std::vector<Target>> targets = Targets(plan);
  if (!targets.ok()) return targets.status();
  std::unique_ptr<tbb::global_control> limit;
  if (plan.threads > 0) {
    limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                  plan.threads);
  }
  const std::uint64_t count = Count(plan);
  std::vector<Row> rows;
  for (const Target& t : *targets) {
    tbb::combinable<std::vector<Worst>> local([] { return std::vector<Worst>(kRows); });
    tbb::parallel_for(tbb::blocked_range<std::uint64_t>(0, (count + kChunk - 1) / kChunk, 1),
                      [&](const tbb::blocked_range<std::uint64_t>& r) {
                        for (std::uint64_t c = r.begin(); c != r.end(); ++c) {
                          CheckChunk(plan, t, c * kChunk, std::min(count, (c + 1) * kChunk),
                                     local.local().data());
                        }
                      });
    std::vector<Worst> worst(kRows);
    local.combine_each([&](const std::vector<Worst>& w) {
      for (int k = 0; k < kRows; ++k) worst[k].Merge(w[k]);
    });
    const std::array<RowCall, kRows> row_calls = RowCalls(t);
    for (int k = 0; k < kRows; ++k) {
      if (k >= kFirstFromOutputRow && !t.from_output) continue;
      Row row;
      row.function = t.function;
      row.params = t.params;
      row.mode = kRowNames[k];
      row.max_ulp = std::max(0.0, worst[k].ulp);
      row.worst_input = worst[k].input;
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

}  // namespace activations::certify
