// silu(x) = x * sigmoid(x) (Elfwing et al. 2017; swish with beta = 1).
#ifndef ACTIVATIONS_SILU_SPEC_H_
#define ACTIVATIONS_SILU_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double SiluReference(long double x, const double*) {
  return x / (1 + std::exp(-x));
}
inline long double SiluReferenceDerivative(long double x, const double*) {
  const long double s = 1 / (1 + std::exp(-x));
  const long double c = std::cosh(x / 2);  // s (1 - s) = 1 / (4 cosh^2(x/2))
  return s + x / (4 * c * c);
}
inline constexpr ActivationSpec kSiluSpec{
    .name = "silu",
    .formula = "f(x) = x * sigmoid(x)",
    .derivative_formula = "f'(x) = s (1 + x (1 - s)), s = sigmoid(x)",
    .params = {},
    .output_range = {.min = -0.27846454276107380, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 2, .derivative = 1.5, .backward = 1.5},
    .ulp_float64 = {.forward = 2, .derivative = 2.5, .backward = 3,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "x * exp(x) is formed before scaling by 2^q, so f stays accurate "
             "where exp(x) alone is subnormal (x < -87 in float32). float32 is "
             "native on FMA targets (through float64 on SSE4 and scalar); its "
             "derivative uses the Taylor series of 1 + x + e^x within 1/2 of "
             "the zero of f' (x = -1.2785), so float32 has no near-zero "
             "exception; float64 has the bounds' derivative_near_zero one.",
    .reference = {&SiluReference, &SiluReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct SiluNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x / (T(1) + std::exp(-x));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T s = T(1) / (T(1) + std::exp(-x));
    return s * (T(1) + x * (T(1) - s));
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SILU_SPEC_H_

#if defined(ACTIVATIONS_SILU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SILU_INL_H_
#undef ACTIVATIONS_SILU_INL_H_
#else
#define ACTIVATIONS_SILU_INL_H_
#endif
#include "activations/swish-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Silu {
  // As swish: native float32 on FMA targets, float64 elsewhere.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  template <class D>
  struct Kernel : SwishKernel<D, true> {
    Kernel(D d, const ParamValues&) : SwishKernel<D, true>(d, 1.0) {}
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SILU_INL_H_
