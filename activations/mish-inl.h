// mish(x) = x * tanh(softplus(x)) (Misra 2019).
#ifndef ACTIVATIONS_MISH_SPEC_H_
#define ACTIVATIONS_MISH_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double MishSoftplus(long double x) {
  return std::fmax(x, 0.0L) + std::log1p(std::exp(-std::fabs(x)));
}
inline long double MishReference(long double x, const double*) {
  return x * std::tanh(MishSoftplus(x));
}
inline long double MishReferenceDerivative(long double x, const double*) {
  const long double sp = MishSoftplus(x);
  const long double c = std::cosh(sp);
  return std::tanh(sp) + x / ((1 + std::exp(-x)) * c * c);
}
inline constexpr ActivationSpec kMishSpec{
    .name = "mish",
    .formula = "f(x) = x * tanh(log(1 + exp(x)))",
    .derivative_formula =
        "f'(x) = tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2), sp = log(1 + exp(x))",
    .params = {},
    .output_range = {.min = -0.30884341301725041, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 1, .derivative = 1, .backward = 1},
    .ulp_float64 = {.forward = 16, .derivative = 16, .backward = 16,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "tanh(softplus(x)) is the rational n / (n + 2) with n = e^x (e^x + 2), "
             "written in e = exp(-|x|) so nothing overflows and 1 - tanh^2 does not "
             "cancel. float32 is computed in float64 and rounded once. f'(x) = 0 "
             "at x = -1.1924 (the bounds' derivative_near_zero exception).",
    .reference = {&MishReference, &MishReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct MishNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x * std::tanh(std::log1p(std::exp(x)));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T t = std::tanh(std::log1p(std::exp(x)));
    const T s = T(1) / (T(1) + std::exp(-x));
    return t + x * s * (T(1) - t * t);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_MISH_SPEC_H_

#if defined(ACTIVATIONS_MISH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_MISH_INL_H_
#undef ACTIVATIONS_MISH_INL_H_
#else
#define ACTIVATIONS_MISH_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Mish {
  static constexpr bool kFloatForwardViaDouble = true;
  static constexpr bool kFloatDerivativeViaDouble = true;

  template <class D>
  struct Kernel {
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // With t = exp(-|x|):
    //   x >= 0: tanh(sp) = (1 + 2t) / Dp,          Dp = 1 + 2t + 2t^2,
    //           f' = (1 + 2t) / Dp + 4x t^2 (1 + t) / Dp^2;
    //   x < 0:  tanh(sp) = t (t + 2) / Dn,          Dn = t^2 + 2t + 2,
    //           f' = t [(t + 2) / Dn + 4x (1 + t) / Dn^2]  (t scaled last).
    struct State {
      V<D> xc, t, one_t, inv_p, inv_n, r_p, q;
      hn::Mask<D> neg;
      ExpParts<D> parts;  // of -|x|
    };
    V<D> Value(const State& s, V<D> x) const {
      return hn::IfThenElse(s.neg, s.parts.MulExp(d, hn::Mul(s.xc, s.q)), hn::Mul(x, s.r_p));
    }
    // g f', g multiplied in before the final scaling.
    template <class G>
    V<D> Slope(const State& s, V<D>, G g) const {
      const V<D> four = hn::Set(d, 4);
      const V<D> dy_p = hn::MulAdd(hn::Mul(hn::Mul(four, s.xc), hn::Mul(s.t, s.t)),
                                   hn::Mul(s.one_t, hn::Mul(s.inv_p, s.inv_p)), s.r_p);
      const V<D> dy_n = s.parts.MulExp(
          d, Times(d, g,
                   hn::MulAdd(hn::Mul(four, s.xc), hn::Mul(s.one_t, hn::Mul(s.inv_n, s.inv_n)),
                              s.q)));
      return hn::IfThenElse(s.neg, dy_n, Times(d, g, dy_p));
    }
    State Prepare(V<D> x) const {
      const V<D> xc = ClampHuge(d, x);
      const auto neg = hn::Lt(xc, hn::Zero(d));
      const ExpParts<D> parts = ComputeExpParts(d, hn::Neg(hn::Abs(xc)));
      const V<D> t = parts.Exp(d);
      const V<D> one = hn::Set(d, 1), two = hn::Set(d, 2);
      const V<D> one_2t = hn::MulAdd(two, t, one);
      const V<D> t2 = hn::Add(t, two);
      // Dp = 1 + 2t + 2t^2 = (1 + 2t) + 2t^2; Dn = t (t + 2) + 2.
      const V<D> dp = hn::MulAdd(hn::Mul(two, t), t, one_2t);
      const V<D> dn = hn::MulAdd(t, t2, two);
      const V<D> inv_p = hn::Div(one, dp), inv_n = hn::Div(one, dn);
      const V<D> one_t = hn::Add(one, t);
      // x >= 0: tanh(sp) = r_p; x < 0: tanh(sp) = t q.
      return {xc, t, one_t, inv_p, inv_n, hn::Mul(one_2t, inv_p), hn::Mul(t2, inv_n), neg, parts};
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_MISH_INL_H_
