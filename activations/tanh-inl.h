// tanh(x), the hyperbolic tangent.
#ifndef ACTIVATIONS_TANH_SPEC_H_
#define ACTIVATIONS_TANH_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double TanhReference(long double x, const double*) { return std::tanh(x); }
inline long double TanhReferenceDerivative(long double x, const double*) {
  const long double c = std::cosh(x);  // sech^2 without cancellation
  return 1 / (c * c);
}
inline long double TanhReferenceFromOutput(long double y, const double*) {
  return (1 - y) * (1 + y);
}
inline constexpr ActivationSpec kTanhSpec{
    .name = "tanh",
    .formula = "f(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))",
    .derivative_formula = "f'(x) = 1 - f(x)^2 = 4 exp(-2|x|) / (1 + exp(-2|x|))^2",
    .params = {},
    .output_range = {.min = -1, .max = 1},
    .properties = {.bounded_below = true, .bounded_above = true, .smooth = true,
                   .monotonic = true, .zero_centered = true, .saturating = true},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 3, .derivative = 3, .backward = 3, .derivative_from_output = 3,
                    .backward_from_output = 3},
    .ulp_float64 = {.forward = 5, .derivative = 5, .backward = 5, .derivative_from_output = 5,
                    .backward_from_output = 5},
    .notes = "f'(x) is computed as 4e/(1+e)^2 with e = exp(-2|x|), not 1 - f^2, "
             "so it keeps full precision in the tails (f'(10) = 8.2e-9, where "
             "1 - tanh^2 gives 0 in float32). From the output y it is "
             "(1 - |y|)(1 + |y|).",
    .reference = {&TanhReference, &TanhReferenceDerivative, &TanhReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct TanhNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return std::tanh(x);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T t = std::tanh(x);
    return T(1) - t * t;
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_TANH_SPEC_H_

#if defined(ACTIVATIONS_TANH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_TANH_INL_H_
#undef ACTIVATIONS_TANH_INL_H_
#else
#define ACTIVATIONS_TANH_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Tanh {
  // float32 derivatives through float64: natively the chain exp, (1+e)^2,
  // division reaches 3.8 ULP; rounded once from float64 it is 0.5 ULP.
  static constexpr bool kFloatForwardViaDouble = false;
  static constexpr bool kFloatDerivativeViaDouble = true;

  template <class D>
  struct Kernel {
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // With m = expm1(-2|x|) in (-1, 0]: tanh|x| = -m / (2 + m), and
    // 1 + m = exp(-2|x|) gives f' = 4 (1 + m) / (2 + m)^2; the exponential's
    // parts carry 1 + m without the cancellation of adding 1 to m.
    using State = ExpParts<D>;  // of -2|x|
    State Prepare(V<D> x) const {
      return ComputeExpParts(d, hn::Mul(hn::Abs(x), hn::Set(d, -2)));
    }
    V<D> Value(const State& p, V<D> x) const {
      const V<D> m = p.Expm1NonPositive(d);
      return hn::CopySign(hn::Div(hn::Neg(m), hn::Add(m, hn::Set(d, 2))), x);
    }
    // 4 g e / (1 + e)^2 from e = exp(-2|x|) itself (1 + e is more accurate
    // than 2 + m, since m carries expm1's larger error), g multiplied in
    // before the final scaling.
    template <class G>
    V<D> Slope(const State& p, V<D>, G g) const {
      const V<D> one_e = hn::Add(hn::Set(d, 1), p.Exp(d));
      return p.MulExp(d, hn::Div(Times(d, g, hn::Set(d, 4)), hn::Mul(one_e, one_e)));
    }
    // 1 - y^2 as (1 - |y|)(1 + |y|): 1 - |y| is exact for |y| >= 1/2.
    template <class G>
    V<D> SlopeFromOutput(V<D> y, G g) const {
      const V<D> a = hn::Abs(y);
      const V<D> one = hn::Set(d, 1);
      return Times(d, g, hn::Mul(hn::Sub(one, a), hn::Add(one, a)));
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_TANH_INL_H_
