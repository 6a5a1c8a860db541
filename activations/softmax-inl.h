// softmax(x)_i = exp(x_i) / sum_j exp(x_j) and log_softmax(x)_i = x_i -
// log(sum_j exp(x_j)), along one dimension of the tensor: the first entries
// of the catalogue that are not elementwise.
#ifndef ACTIVATIONS_SOFTMAX_SPEC_H_
#define ACTIVATIONS_SOFTMAX_SPEC_H_
#include <algorithm>

#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kSoftmaxParams[] = {
    {.name = "dim",
     .default_value = -1,
     .valid_range = {},
     .description = "the dimension reduced over, as PyTorch's dim: a whole number in "
                    "[-rank, rank), negative counting from the last (-1)",
     .integer = true},
};
// The reference (oracle) for tests: long double, independent of the kernels.
// With m the line's max, sum_j exp(x_j - m) = 1 + rest (one term at the max
// is exactly 1, left out of rest), so log of it is log1p(rest): no
// cancellation in y = (x - m) - log1p(rest), which is near 0 for a dominant
// x, where m + log(sum) would lose ulp(m). NaN if the line holds a NaN or
// +inf, or only -inf.
struct SoftmaxReferenceSums {
  long double m = -INFINITY;
  long double rest = 0;
};
inline SoftmaxReferenceSums SoftmaxReferenceSum(const long double* x, std::size_t n) {
  SoftmaxReferenceSums s;
  for (std::size_t i = 0; i < n; ++i) s.m = std::isnan(x[i]) ? x[i] : std::max(s.m, x[i]);
  bool skipped = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] == s.m && !skipped && std::isfinite(s.m)) {
      skipped = true;
      continue;
    }
    s.rest += std::exp(x[i] - s.m);
  }
  if (!std::isfinite(s.m)) s.rest = NAN;
  return s;
}
inline void SoftmaxReferenceLine(const long double* x, std::size_t n, long double* y) {
  const SoftmaxReferenceSums s = SoftmaxReferenceSum(x, n);
  for (std::size_t i = 0; i < n; ++i) y[i] = std::exp(x[i] - s.m) / (1 + s.rest);
}
inline void LogSoftmaxReferenceLine(const long double* x, std::size_t n, long double* y) {
  const SoftmaxReferenceSums s = SoftmaxReferenceSum(x, n);
  for (std::size_t i = 0; i < n; ++i) y[i] = (x[i] - s.m) - std::log1p(s.rest);
}
// dL/dx_i = y_i (g_i - sum_j g_j y_j).
inline void SoftmaxReferenceBackward(const long double* y, const long double* g, std::size_t n,
                                     long double* out) {
  long double dot = 0;
  for (std::size_t j = 0; j < n; ++j) dot += g[j] * y[j];
  for (std::size_t i = 0; i < n; ++i) out[i] = y[i] * (g[i] - dot);
}
// dL/dx_i = g_i - exp(y_i) sum_j g_j.
inline void LogSoftmaxReferenceBackward(const long double* y, const long double* g,
                                        std::size_t n, long double* out) {
  long double sum = 0;
  for (std::size_t j = 0; j < n; ++j) sum += g[j];
  for (std::size_t i = 0; i < n; ++i) out[i] = g[i] - std::exp(y[i]) * sum;
}
// The sizes of the terms those differences are made of.
inline void SoftmaxReferenceBackwardMagnitude(const long double* y, const long double* g,
                                              std::size_t n, long double* out) {
  long double dot = 0;
  for (std::size_t j = 0; j < n; ++j) dot += std::fabs(g[j]) * y[j];
  for (std::size_t i = 0; i < n; ++i) out[i] = y[i] * (std::fabs(g[i]) + dot);
}
inline void LogSoftmaxReferenceBackwardMagnitude(const long double* y, const long double* g,
                                                 std::size_t n, long double* out) {
  long double sum = 0;
  for (std::size_t j = 0; j < n; ++j) sum += std::fabs(g[j]);
  for (std::size_t i = 0; i < n; ++i) out[i] = std::fabs(g[i]) + std::exp(y[i]) * sum;
}
inline constexpr ActivationSpec kSoftmaxSpec{
    .name = "softmax",
    .formula = "f(x)_i = exp(x_i - m) / sum_j exp(x_j - m), m = max_j x_j, along dim",
    .derivative_formula = "backward: g_i -> y_i (g_i - sum_j g_j y_j), y = f(x)",
    .params = kSoftmaxParams,
    .output_range = {.min = 0, .max = 1, .max_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = true, .smooth = true,
                   .monotonic = true, .zero_centered = false, .saturating = true},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .backward = 0.501, .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 4, .backward = 4, .backward_from_output = 4},
    .notes = "Not elementwise: each line along dim is normalised. Modes: forward "
             "and backward (the Jacobian-vector product, from x or from y); "
             "derivative modes are rejected (f' is a matrix). Stable: exp(x - m) "
             "with x - m's rounding carried into exp, a compensated sum. A NaN "
             "or +inf in a line, or a line of only -inf, makes the line NaN, as "
             "PyTorch. Properties are of y_i as a function of x_i, the others "
             "fixed. Backward: where g_i - sum_j g_j y_j cancels, the bound is in "
             "ULP of y_i (|g_i| + sum_j |g_j| y_j), the size of the terms. A NaN "
             "g_j makes its line NaN; an infinite g_j gives the limit -g_j at the "
             "line's other elements and NaN at j (inf - inf), as PyTorch. "
             "float32 is computed in float64 and rounded once.",
    .reference = {.line_value = &SoftmaxReferenceLine,
                  .line_backward_from_output = &SoftmaxReferenceBackward,
                  .line_backward_magnitude = &SoftmaxReferenceBackwardMagnitude},
    .pytorch = "torch.nn.functional.softmax(input, dim)",
    .elementwise = false,
};
inline constexpr ActivationSpec kLogSoftmaxSpec{
    .name = "log_softmax",
    .formula = "f(x)_i = x_i - m - log(sum_j exp(x_j - m)), m = max_j x_j, along dim",
    .derivative_formula = "backward: g_i -> g_i - exp(y_i) sum_j g_j, y = f(x)",
    .params = kSoftmaxParams,
    .output_range = {.min = -kInf, .max = 0, .max_inclusive = true},
    .properties = {.bounded_below = false, .bounded_above = true, .smooth = true,
                   .monotonic = true, .zero_centered = false, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .backward = 0.501, .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 4, .backward = 4, .backward_from_output = 4},
    .notes = "Not elementwise, as softmax. y_i = -((m - x_i) + log(S)): two "
             "non-negative terms, no cancellation, log(S) as log1p(S - 1) with S "
             "= 1 + (the other terms) compensated. Backward: where g_i - exp(y_i) "
             "sum_j g_j cancels, the bound is in ULP of |g_i| + exp(y_i) sum_j "
             "|g_j|. A NaN or infinite g_j: as softmax. float32 is computed in float64 and rounded once.",
    .reference = {.line_value = &LogSoftmaxReferenceLine,
                  .line_backward_from_output = &LogSoftmaxReferenceBackward,
                  .line_backward_magnitude = &LogSoftmaxReferenceBackwardMagnitude},
    .pytorch = "torch.nn.functional.log_softmax(input, dim)",
    .elementwise = false,
};
// The textbook formulas over one contiguous line, with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
template <bool kLog>
struct SoftmaxNaiveOf {
  template <typename T>
  static void Line(const T* x, T* y, std::size_t n) {
    const T m = *std::max_element(x, x + n);
    T s = 0;
    for (std::size_t i = 0; i < n; ++i) s += std::exp(x[i] - m);
    for (std::size_t i = 0; i < n; ++i) y[i] = kLog ? x[i] - m - std::log(s) : std::exp(x[i] - m) / s;
  }
  // From x, as a first version would: forward, then the product.
  template <typename T>
  static void LineBackward(const T* x, const T* g, T* out, std::size_t n) {
    Line(x, out, n);
    T acc = 0;
    for (std::size_t i = 0; i < n; ++i) acc += kLog ? g[i] : g[i] * out[i];
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = kLog ? g[i] - std::exp(out[i]) * acc : out[i] * (g[i] - acc);
    }
  }
};
using SoftmaxNaive = SoftmaxNaiveOf<false>;
using LogSoftmaxNaive = SoftmaxNaiveOf<true>;
}  // namespace activations
#endif  // ACTIVATIONS_SOFTMAX_SPEC_H_

#if defined(ACTIVATIONS_SOFTMAX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SOFTMAX_INL_H_
#undef ACTIVATIONS_SOFTMAX_INL_H_
#else
#define ACTIVATIONS_SOFTMAX_INL_H_
#endif
#include <limits>

#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// a + b = s + err exactly (Knuth's TwoSum, no ordering needed); err is
// zeroed where it is not finite (an infinite a or b), so that an infinite
// term does not turn the compensation into NaN.
template <class D>
HWY_INLINE V<D> TwoSumFinite(D d, V<D> a, V<D> b, V<D>* err) {
  const V<D> s = hn::Add(a, b);
  const V<D> bb = hn::Sub(s, a);
  const V<D> e = hn::Add(hn::Sub(a, hn::Sub(s, bb)), hn::Sub(b, bb));
  *err = hn::IfThenElseZero(hn::IsFinite(e), e);
  (void)d;
  return s;
}

// A compensated sum, lane by lane: hi + lo carries every rounding of the
// additions (Neumaier/TwoSum), so n terms cost about one rounding in all.
template <class D>
struct CompensatedSum {
  V<D> hi, lo;
  explicit CompensatedSum(D d) : hi(hn::Zero(d)), lo(hn::Zero(d)) {}
  void Add(D d, V<D> v) {
    V<D> e;
    hi = TwoSumFinite(d, hi, v, &e);
    lo = hn::Add(lo, e);
  }
};

// One line-wise kernel for softmax (kLog = false) and log_softmax. It runs
// over a `Lines` object the driver provides (kernels.cc): a contiguous row
// walked a vector at a time, whose AllMax/AllSum reduce across lanes, or
// one vector of independent columns walked down the dimension, whose
// AllMax/AllSum are the identity. Lines::X(k) pads with -inf (adds 0 to
// every sum), Lines::G(k) and Lines::Y(k) (the input read as the output y)
// with 0. AllSum(&hi, &lo) sums a compensated pair
// across lanes, compensated too: one lane may hold 1 and another 1e-20,
// which log_softmax's y = -log1p(1e-20) needs.
template <class D, bool kLog>
struct SoftmaxKernel {
  D d;

  // x - m as hi + lo, and exp of it with the low part carried.
  V<D> Shifted(V<D> x, V<D> m, V<D>* lo) const { return TwoSumFinite(d, x, hn::Neg(m), lo); }

  struct Stats {
    V<D> m;             // the line's max
    V<D> s_hi, s_lo;    // sum of exp(x - m) = s_hi + s_lo, >= 1
  };
  template <class L>
  Stats Reduce(const L& l) const {
    V<D> m = hn::Set(d, -std::numeric_limits<hn::TFromD<D>>::infinity());
    for (size_t k = 0; k < l.Steps(); ++k) m = hn::Max(m, l.X(k));
    m = l.AllMax(m);
    CompensatedSum<D> s(d);
    for (size_t k = 0; k < l.Steps(); ++k) {
      const V<D> x = l.X(k);
      V<D> lo;
      const V<D> hi = Shifted(x, m, &lo);
      // The exponential clamps its argument, which turns NaN into a number
      // on x86 (Min/Max return the other operand): a NaN x - m (x NaN, or
      // x = m = +inf) enters the sum as itself, so its whole line is NaN.
      s.Add(d, hn::IfThenElse(hn::IsNaN(hi), hi, ComputeExpParts(d, hi, lo).Exp(d)));
    }
    Stats st{m, s.hi, s.lo};
    l.AllSum(&st.s_hi, &st.s_lo);
    return st;
  }
  // log(s_hi + s_lo) = log1p((s_hi - 1) + s_lo): s_hi - 1 is exact while
  // s_hi <= 2, where the logarithm is small and would otherwise lose digits.
  // (Highway's Log1p, <= 2 ULP in float64: float32 lines round it once.)
  V<D> LogSum(const Stats& st) const {
    return hn::Log1p(d, hn::Add(hn::Sub(st.s_hi, hn::Set(d, 1)), st.s_lo));
  }
  // exp(x - m) / S: softmax's y, and log_softmax's exp(y) without the
  // rounding of y (an absolute error of y is a relative one of exp(y): up to
  // 8 ULP where |y| is near 16).
  V<D> Normalised(V<D> x, const Stats& st) const {
    V<D> lo;
    const V<D> hi = Shifted(x, st.m, &lo);
    return hn::Div(ComputeExpParts(d, hi, lo).Exp(d), hn::Add(st.s_hi, st.s_lo));
  }
  // y from x: exp(x - m) / S, or (x - m) - log S (two terms <= 0, no
  // cancellation; the low part of x - m added last).
  V<D> Y(V<D> x, const Stats& st, V<D> log_sum) const {
    if constexpr (kLog) {
      V<D> lo;
      const V<D> hi = Shifted(x, st.m, &lo);
      return hn::Add(hn::Sub(hi, log_sum), lo);
    } else {
      return Normalised(x, st);
    }
  }

  template <class L>
  void Forward(const L& l) const {
    const Stats st = Reduce(l);
    const V<D> log_sum = kLog ? LogSum(st) : hn::Zero(d);
    for (size_t k = 0; k < l.Steps(); ++k) l.Store(k, Y(l.X(k), st, log_sum));
  }

  // The Jacobian-vector product, from y = f(x) given (from_output) or
  // computed from x line by line. softmax: y_i (g_i - sum_j g_j y_j), the
  // dot product compensated (exact products, TwoSum) and g_i minus it
  // formed with the dot's low part; log_softmax: g_i - exp(y_i) sum_j g_j,
  // the product exact before the subtraction.
  template <class L>
  void Backward(const L& l, bool from_output) const {
    Stats st{};
    if (!from_output) st = Reduce(l);
    // softmax's y; log_softmax needs only exp(y) (below).
    auto y_at = [&](size_t k) HWY_ATTR {
      return from_output ? l.Y(k) : Normalised(l.X(k), st);
    };
    CompensatedSum<D> acc(d);
    for (size_t k = 0; k < l.Steps(); ++k) {
      if constexpr (kLog) {
        acc.Add(d, l.G(k));
      } else {
        V<D> p_lo;
        const V<D> p = TwoProduct(d, l.G(k), y_at(k), &p_lo);
        acc.Add(d, p);
        acc.lo = hn::Add(acc.lo, hn::IfThenElseZero(hn::IsFinite(p_lo), p_lo));
      }
    }
    V<D> sum_hi = acc.hi, sum_lo = acc.lo;
    l.AllSum(&sum_hi, &sum_lo);
    for (size_t k = 0; k < l.Steps(); ++k) {
      const V<D> g = l.G(k);
      V<D> e;
      if constexpr (kLog) {
        // g - p (sum_hi + sum_lo), p = exp(y): p sum_hi = h + t exactly,
        // g - h exact where it cancels (Sterbenz), then the small parts.
        // From x, p = exp(x - m) / S directly (Normalised).
        V<D> p;
        if (from_output) {
          const V<D> y = l.Y(k);
          p = hn::IfThenElse(hn::IsNaN(y), y, ComputeExpParts(d, y).Exp(d));
        } else {
          p = Normalised(l.X(k), st);
        }
        V<D> t;
        const V<D> h = TwoProduct(d, p, sum_hi, &t);
        // An infinite sum (an infinite g_j) leaves h = +-inf and t = NaN:
        // the result is then g - h, the limit.
        t = hn::IfThenElseZero(hn::IsFinite(t), t);
        const V<D> diff = TwoSumFinite(d, g, hn::Neg(h), &e);
        const V<D> small = hn::Add(e, hn::Neg(hn::MulAdd(p, sum_lo, t)));
        l.Store(k, hn::Add(diff, small));
      } else {
        const V<D> diff = TwoSumFinite(d, g, hn::Neg(sum_hi), &e);
        l.Store(k, hn::Mul(y_at(k), hn::Add(diff, hn::Sub(e, sum_lo))));
      }
    }
  }
};

struct Softmax {
  // float32 lines run in float64 and are rounded once (0.5 ULP).
  static constexpr bool kElementwise = false;
  template <class D>
  using Kernel = SoftmaxKernel<D, false>;
};

struct LogSoftmax {
  static constexpr bool kElementwise = false;
  template <class D>
  using Kernel = SoftmaxKernel<D, true>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SOFTMAX_INL_H_
