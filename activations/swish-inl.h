// swish(x) = x * sigmoid(beta * x) (Ramachandran et al. 2017); silu is beta = 1.
#ifndef ACTIVATIONS_SWISH_SPEC_H_
#define ACTIVATIONS_SWISH_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kSwishParams[] = {
    {.name = "beta",
     .default_value = 1.0,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "slope of the gate sigmoid(beta * x); 0 gives x / 2, "
                    "large values approach relu"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double SwishReference(long double x, const double* p) {
  return x / (1 + std::exp(-p[0] * x));
}
inline long double SwishReferenceDerivative(long double x, const double* p) {
  const long double z = p[0] * x;
  const long double s = 1 / (1 + std::exp(-z));
  const long double c = std::cosh(z / 2);  // s (1 - s) = 1 / (4 cosh^2(z/2))
  return s + z / (4 * c * c);
}
inline constexpr ActivationSpec kSwishSpec{
    .name = "swish",
    .formula = "f(x) = x * sigmoid(beta * x)",
    .derivative_formula = "f'(x) = s + beta * x * s * (1 - s), s = sigmoid(beta * x)",
    .params = kSwishParams,
    .output_range = {.min = -0.27846454276107380, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 3, .derivative = 3, .backward = 3},
    .ulp_float64 = {.forward = 10, .derivative = 10, .backward = 10,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "beta * x is formed exactly (two-product, beta split in two) so its "
             "rounding is not amplified by the exponential in the tail. The "
             "float32 derivative is computed in float64 and rounded once. f'(x) "
             "= 0 at beta*x = -1.2785 (the bounds' derivative_near_zero exception).",
    .reference = {&SwishReference, &SwishReferenceDerivative},
    .pytorch = "none; input * torch.sigmoid(beta * input) (silu is beta = 1)",
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = beta
struct SwishNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x / (T(1) + std::exp(-static_cast<T>(p[0]) * x));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    const T beta = static_cast<T>(p[0]);
    const T s = T(1) / (T(1) + std::exp(-beta * x));
    return s + beta * x * s * (T(1) - s);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SWISH_SPEC_H_

#if defined(ACTIVATIONS_SWISH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SWISH_INL_H_
#undef ACTIVATIONS_SWISH_INL_H_
#else
#define ACTIVATIONS_SWISH_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// x sigmoid(beta x) and its derivative; shared with Silu (beta = 1).
template <class D>
struct SwishKernel {
  using T = hn::TFromD<D>;
  D d;
  // beta = beta_hi + beta_lo: in float32 the rounding of beta itself would
  // otherwise be amplified by exp in the tail (40 ULP at z = -87).
  V<D> beta, beta_lo;
  SwishKernel(D d_in, double b)
      : d(d_in),
        beta(hn::Set(d_in, static_cast<T>(b))),
        beta_lo(hn::Set(d_in, static_cast<T>(b - static_cast<T>(b)))) {}

  Logistic<D> Gate(V<D> x) const {
    V<D> z_lo;
    const V<D> z = TwoProduct(d, beta, x, &z_lo);
    return Logistic<D>(d, z, hn::MulAdd(beta_lo, x, z_lo));
  }
  struct State {
    V<D> xc;  // x clamped to +-kHuge
    Logistic<D> gate;
  };
  State Prepare(V<D> x) const {
    const V<D> xc = ClampHuge(d, x);
    return {xc, Gate(xc)};
  }
  V<D> Value(const State& s, V<D> x) const { return s.gate.MulSigmoid(d, x); }
  // g (sigmoid(z) + z sigmoid'(z)), g multiplied in before the final scaling.
  template <class G>
  V<D> Slope(const State& s, V<D>, G g) const {
    return s.gate.SigmoidPlusSlope(d, hn::Mul(beta, s.xc), g);
  }
};

struct Swish {
  // The float32 forward is native (x sigmoid(z) has no cancellation and the
  // exact two-product keeps z's rounding out of the tail); the derivative
  // runs through the float64 kernel, whose single final rounding keeps it
  // within 1 ULP also next to the zero of f'.
  static constexpr bool kFloatForwardViaDouble = false;
  static constexpr bool kFloatDerivativeViaDouble = true;
  template <class D>
  struct Kernel : SwishKernel<D> {
    Kernel(D d, const ParamValues& p) : SwishKernel<D>(d, p[0]) {}
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SWISH_INL_H_
