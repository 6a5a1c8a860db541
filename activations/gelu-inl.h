// gelu(x) = x * Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016).
#ifndef ACTIVATIONS_GELU_SPEC_H_
#define ACTIVATIONS_GELU_SPEC_H_
#include <numbers>

#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double GeluReference(long double x, const double*) {
  return x * std::erfc(-x / std::sqrt(2.0L)) / 2;
}
inline long double GeluReferenceDerivative(long double x, const double*) {
  const long double kInvSqrt2Pi = 0.398942280401432677939946059934381868L;
  return std::erfc(-x / std::sqrt(2.0L)) / 2 + x * std::exp(-x * x / 2) * kInvSqrt2Pi;
}
inline constexpr ActivationSpec kGeluSpec{
    .name = "gelu",
    .formula = "f(x) = x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))",
    .derivative_formula = "f'(x) = Phi(x) + x * exp(-x^2/2) / sqrt(2 pi)",
    .params = {},
    .output_range = {.min = -0.16997120747990366, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 1, .derivative = 1, .backward = 1},
    .ulp_float64 = {.forward = 36, .derivative = 36, .backward = 36,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "PyTorch's approximate='none'. Highway has no erf: Phi uses "
             "erfc(z) = exp(-z^2) erfcx(z) with a fitted erfcx polynomial "
             "(tools/fit_erfcx.py, relative error 3e-15) and x^2 formed exactly, "
             "so the tail keeps full precision (gelu(-10) = -7.6e-23). float32 is "
             "computed in float64 and rounded once. f'(x) = 0 at x = -0.7518 "
             "(the bounds' derivative_near_zero exception).",
    .reference = {&GeluReference, &GeluReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct GeluNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return T(0.5) * x * (T(1) + std::erf(x / std::numbers::sqrt2_v<T>));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    // 1 / sqrt(2 pi)
    const T inv_sqrt_2pi = std::numbers::inv_sqrtpi_v<T> / std::numbers::sqrt2_v<T>;
    const T cdf = T(0.5) * (T(1) + std::erf(x / std::numbers::sqrt2_v<T>));
    return cdf + x * std::exp(T(-0.5) * x * x) * inv_sqrt_2pi;
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_GELU_SPEC_H_

#if defined(ACTIVATIONS_GELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_GELU_INL_H_
#undef ACTIVATIONS_GELU_INL_H_
#else
#define ACTIVATIONS_GELU_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Gelu {
  static constexpr bool kFloatForwardViaDouble = true;
  static constexpr bool kFloatDerivativeViaDouble = true;

  template <class D>
  struct Kernel {
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // With z = |x| / sqrt(2), E = exp(-x^2 / 2) and c = erfcx(z) / 2, the
    // lower tail is Q = Phi(-|x|) = c E; then
    //   x < 0:  f = x c E,        f' = (c + x / sqrt(2 pi)) E  (E scaled last)
    //   x >= 0: f = x (1 - c E),  f' = 1 + (x / sqrt(2 pi) - c) E.
    struct State {
      V<D> xc, c, k, e;
      hn::Mask<D> neg;
      ExpParts<D> parts;  // of -x^2 / 2
    };
    V<D> Value(const State& s, V<D> x) const {
      return hn::IfThenElse(s.neg, s.parts.MulExp(d, hn::Mul(s.xc, s.c)),
                            hn::Mul(x, hn::NegMulAdd(s.c, s.e, hn::Set(d, 1))));
    }
    // g f', g multiplied in before the final scaling.
    template <class G>
    V<D> Slope(const State& s, V<D>, G g) const {
      return hn::IfThenElse(s.neg, s.parts.MulExp(d, Times(d, g, hn::Add(s.c, s.k))),
                            Times(d, g, hn::MulAdd(hn::Sub(s.k, s.c), s.e, hn::Set(d, 1))));
    }
    State Prepare(V<D> x) const {
      const V<D> xc = ClampHuge(d, x);
      const auto neg = hn::Lt(xc, hn::Zero(d));
      V<D> sq_lo;
      const V<D> sq = TwoProduct(d, xc, xc, &sq_lo);
      const V<D> minus_half = hn::Set(d, -0.5);
      const ExpParts<D> parts =
          ComputeExpParts(d, hn::Mul(sq, minus_half), hn::Mul(sq_lo, minus_half));
      // 1/sqrt(2) and 1/sqrt(2 pi), rounded to double.
      const V<D> z = hn::Mul(hn::Abs(xc), hn::Set(d, 0.70710678118654752440));
      const V<D> c = hn::Mul(ErfcxNonNegative(d, z), hn::Set(d, 0.5));
      const V<D> k = hn::Mul(xc, hn::Set(d, 0.39894228040143267794));
      return {xc, c, k, parts.Exp(d), neg, parts};
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_GELU_INL_H_
