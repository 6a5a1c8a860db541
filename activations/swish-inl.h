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
    .max_ulp_float32 = 1,
    .max_ulp_float64 = 7,
    .notes = "beta * x is formed exactly (two-product) so its rounding is not "
             "amplified by the exponential in the tail. float32 is computed in "
             "float64 and rounded once. f'(x) = 0 at beta*x = -1.2785: there the "
             "float64 error is absolute, <= 8 ULP of 1.",
    .reference = {&SwishReference, &SwishReferenceDerivative},
};
}  // namespace activations
#endif  // ACTIVATIONS_SWISH_SPEC_H_

#if defined(ACTIVATIONS_SWISH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SWISH_INL_H_
#undef ACTIVATIONS_SWISH_INL_H_
#else
#define ACTIVATIONS_SWISH_INL_H_
#endif
#include "activations/evaluate.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// x sigmoid(beta x) and its derivative; shared with Silu (beta = 1).
template <class D>
struct SwishKernel {
  D d;
  V<D> beta;
  SwishKernel(D d_in, double b) : d(d_in), beta(hn::Set(d_in, static_cast<hn::TFromD<D>>(b))) {}

  Logistic<D> Gate(V<D> x) const {
    V<D> z_lo;
    const V<D> z = TwoProduct(d, beta, x, &z_lo);
    return Logistic<D>(d, z, z_lo);
  }
  V<D> Forward(V<D> x) const { return Gate(ClampHuge(d, x)).MulSigmoid(d, x); }
  V<D> Derivative(V<D> x) const {
    x = ClampHuge(d, x);
    return Gate(x).SigmoidPlusSlope(d, hn::Mul(beta, x));
  }
  void Both(V<D> x, V<D>* y, V<D>* dy) const {
    const V<D> xc = ClampHuge(d, x);
    const Logistic<D> g = Gate(xc);
    *y = g.MulSigmoid(d, x);
    *dy = g.SigmoidPlusSlope(d, hn::Mul(beta, xc));
  }
};

struct Swish {
  // float32 runs through the float64 kernel: one rounding at the end keeps
  // it within 1 ULP, also near the zero of f' and in the tails.
  static constexpr bool kFloatViaDouble = true;
  template <class D>
  struct Kernel : SwishKernel<D> {
    Kernel(D d, const ParamValues& p) : SwishKernel<D>(d, p[0]) {}
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SWISH_INL_H_
