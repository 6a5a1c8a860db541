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
    .ulp_float32 = {.forward = 2, .derivative = 2, .backward = 2, .derivative_from_output = 2,
                    .backward_from_output = 2.5},
    .ulp_float64 = {.forward = 2.5, .derivative = 2, .backward = 2, .derivative_from_output = 2,
                    .backward_from_output = 2.5},
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
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  template <class D>
  struct Kernel {
    // The modes from y are one FMA and a product per element, bound by
    // memory: in a large job they store non-temporally (kernels.cc
    // StreamsFromOutput); the modes from x (exponentials) keep cached
    // stores.
    static constexpr bool kStreamFromOutput = true;
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // With e = exp(-2|x|) and m = expm1(-2|x|) = e - 1 from the same
    // exponential parts (no cancellation near 0): tanh|x| = -m / (1 + e) and
    // f' = 4 e / (1 + e)^2 = 4 sigmoid'(2|x|), so the logistic's pieces at
    // z = 2|x| (exact) serve both, one reciprocal for the two.
    using State = Logistic<D>;
    HWY_INLINE State Prepare(V<D> x) const {
      return Logistic<D>(d, hn::Add(hn::Abs(x), hn::Abs(x)));
    }
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      const V<D> minus_m = hn::Neg(s.parts.Expm1NonPositive(d));
      return hn::CopySign(DivideCorrected<false>(d, minus_m, minus_m, s.den, s.den_lo, s.r), x);
    }
    // 4 g e / (1 + e)^2, g multiplied in exactly before the final scaling.
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D>, G g) const {
      return s.template MulSigmoidDerivative<2>(d, g);
    }
    // 1 - y^2: one FMA rounds the exact value once (0.5 ULP); without FMA,
    // (1 - |y|)(1 + |y|), where 1 - |y| is exact for |y| >= 1/2.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      const V<D> one = hn::Set(d, 1);
      if constexpr (HWY_NATIVE_FMA) {
        return Times(d, g, hn::NegMulAdd(y, y, one));
      } else {
        const V<D> a = hn::Abs(y);
        return Times(d, g, hn::Mul(hn::Sub(one, a), hn::Add(one, a)));
      }
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_TANH_INL_H_
