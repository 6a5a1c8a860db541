// tanhshrink(x) = x - tanh(x).
#ifndef ACTIVATIONS_TANHSHRINK_SPEC_H_
#define ACTIVATIONS_TANHSHRINK_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
// Below |x| = 1/2, x - tanh x cancels (by 13x at 1/2, without bound towards
// 0): there it is the Taylor series x^3 sum_k c_k x^(2k), c_k from tanh's
// own coefficients t_k by the recurrence (2k+1) t_k = -sum_{i+j=k-1} t_i
// t_j (from tanh' = 1 - tanh^2), summed to long double precision.
inline constexpr int kTanhshrinkReferenceTerms = 40;  // 0.1 per term at 1/2: 1e-40
struct TanhshrinkReferenceSeries {
  long double t[kTanhshrinkReferenceTerms + 1] = {1};
  TanhshrinkReferenceSeries() {
    for (int k = 1; k <= kTanhshrinkReferenceTerms; ++k) {
      long double s = 0;
      for (int i = 0; i < k; ++i) s += t[i] * t[k - 1 - i];
      t[k] = -s / (2 * k + 1);
    }
  }
};
inline long double TanhshrinkReference(long double x, const double*) {
  if (!(std::fabs(x) < 0.5L)) return x - std::tanh(x);
  static const TanhshrinkReferenceSeries series;  // computed once, thread-safe
  const long double* t = series.t;
  constexpr int kTerms = kTanhshrinkReferenceTerms;
  const long double u = x * x;
  long double sum = 0;
  for (int k = kTerms; k >= 1; --k) sum = sum * u - t[k];
  return x * u * sum;
}
inline long double TanhshrinkReferenceDerivative(long double x, const double*) {
  const long double t = std::tanh(x);
  return t * t;
}
inline constexpr ActivationSpec kTanhshrinkSpec{
    .name = "tanhshrink",
    .formula = "f(x) = x - tanh(x)",
    .derivative_formula = "f'(x) = tanh(x)^2",
    .params = {},
    .output_range = {},
    .properties = {.bounded_below = false, .bounded_above = false, .smooth = true,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501},
    .ulp_float64 = {.forward = 16, .derivative = 16, .backward = 16},
    .notes = "x - tanh(x) cancels near 0 (f ~ x^3 / 3): below |x| = 0.75 it is "
             "a Taylor series of 27 terms, so tanhshrink(1e-3) = 3.3e-10 keeps "
             "every digit where the subtraction would keep none. Above, the "
             "subtraction magnifies tanh's error by x / f(x) <= 6.5 (float64 "
             "bound); float32 is computed in float64 and rounded once.",
    .reference = {&TanhshrinkReference, &TanhshrinkReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct TanhshrinkNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x - std::tanh(x);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T t = std::tanh(x);
    return t * t;
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_TANHSHRINK_SPEC_H_

#if defined(ACTIVATIONS_TANHSHRINK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_TANHSHRINK_INL_H_
#undef ACTIVATIONS_TANHSHRINK_INL_H_
#else
#define ACTIVATIONS_TANHSHRINK_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Tanhshrink {
  // float32 through float64: even the magnified float64 error is far
  // below float32's rounding, so the result is rounded once (0.5 ULP).
  static constexpr bool kFloatForwardViaDouble = true;
  static constexpr bool kFloatDerivativeViaDouble = true;

  template <class D>
  struct Kernel {
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // Below this |x| the series; (2 * 0.75 / pi)^2 = 0.23 per term, so 27
    // terms leave 2^-56 of the sum (exact rationals rounded to double, from
    // the recurrence in the reference above).
    static constexpr double kSeriesEnd = 0.75;
    static constexpr double kSeries[] = {
        0.3333333333333333, -0.13333333333333333, 0.05396825396825397,
        -0.021869488536155203, 0.008863235529902197, -0.003592128036572481,
        0.0014558343870513183, -0.000590027440945586, 0.00023912911424355248,
        -9.691537956929451e-05, 3.927832388331683e-05, -1.5918905069328964e-05,
        6.451689215655431e-06, -2.6147711512907546e-06, 1.0597268320104654e-06,
        -4.294911078273806e-07, 1.7406618963571648e-07, -7.054636946400968e-08,
        2.859136662305254e-08, -1.1587644432798853e-08, 4.6962953982309016e-09,
        -1.903336833931276e-09, 7.713933635359062e-10, -3.126339545892087e-10,
        1.26705769303054e-10, -5.135191408039368e-11, 2.0812146867700473e-11,
    };

    // x^3 (c_0 + c_1 x^2 + ...) as x (u P(u)), u = x^2: u P(u) stays normal
    // where x^3 is subnormal, so the product rounds once there.
    V<D> Series(V<D> x) const {
      const V<D> u = hn::Mul(x, x);
      const V<D> p = Horner(d, u, kSeries);
      return hn::Mul(x, hn::Mul(u, p));
    }
    // tanh x = -m / (2 + m) with the sign of x, m = expm1(-2|x|) (as tanh-inl.h).
    HWY_INLINE V<D> TanhOf(V<D> x) const {
      const ExpParts<D> p = ComputeExpParts(d, hn::Mul(hn::Abs(x), hn::Set(d, -2)));
      const V<D> m = p.Expm1NonPositive(d);
      return hn::CopySign(hn::Div(hn::Neg(m), hn::Add(m, hn::Set(d, 2))), x);
    }
    // t = tanh x, and whether |x| is below the series' end.
    struct State {
      hn::Mask<D> small;
      V<D> t;
    };
    HWY_INLINE State Prepare(V<D> x) const {
      return {hn::Lt(hn::Abs(x), hn::Set(d, kSeriesEnd)), TanhOf(x)};
    }
    // Near 0 the series (x - tanh x cancels there), else x - tanh x.
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      return hn::IfThenElse(s.small, Series(x), hn::Sub(x, s.t));
    }
    // g tanh^2 x as (g t) t: g is folded in before the second factor, so
    // g f' keeps its digits where t^2 alone would underflow.
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D>, G g) const {
      return hn::Mul(Times(d, g, s.t), s.t);
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_TANHSHRINK_INL_H_
