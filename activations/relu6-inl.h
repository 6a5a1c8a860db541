// relu6(x) = min(max(0, x), 6) (Howard et al. 2017): hardtanh(x, 0, 6).
#ifndef ACTIVATIONS_RELU6_SPEC_H_
#define ACTIVATIONS_RELU6_SPEC_H_
#include <algorithm>

#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double Relu6Reference(long double x, const double*) {
  if (std::isnan(x)) return x;
  return x < 0 ? 0 : (x > 6 ? 6 : x);
}
inline long double Relu6ReferenceDerivative(long double x, const double*) {
  if (std::isnan(x)) return x;
  return x > 0 && x < 6 ? 1 : 0;
}
inline constexpr ActivationSpec kRelu6Spec{
    .name = "relu6",
    .formula = "f(x) = min(max(0, x), 6)",
    .derivative_formula = "f'(x) = 1 if 0 < x < 6 else 0",
    .params = {},
    .output_range = {.min = 0, .max = 6, .min_inclusive = true, .max_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = true, .smooth = false,
                   .monotonic = true, .zero_centered = false, .saturating = true},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0, .derivative = 0, .backward = 0, .derivative_from_output = 0,
                    .backward_from_output = 0},
    .ulp_float64 = {.forward = 0, .derivative = 0, .backward = 0, .derivative_from_output = 0,
                    .backward_from_output = 0},
    .notes = "Exact. f'(0) = f'(6) = 0, as PyTorch (hardtanh_backward); backward "
             "selects (0 outside (0, 6) for every g but NaN, which stays NaN).",
    .reference = {&Relu6Reference, &Relu6ReferenceDerivative, &Relu6ReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct Relu6Naive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return std::min(std::max(x, T(0)), T(6));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    return x > T(0) && x < T(6) ? T(1) : T(0);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_RELU6_SPEC_H_

#if defined(ACTIVATIONS_RELU6_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_RELU6_INL_H_
#undef ACTIVATIONS_RELU6_INL_H_
#else
#define ACTIVATIONS_RELU6_INL_H_
#endif
#include "activations/spec.h"
#include "activations/hardtanh-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Relu6 {
  static constexpr bool kFloatForwardViaDouble = false;
  static constexpr bool kFloatDerivativeViaDouble = false;

  template <class D>
  struct Kernel : ClampKernel<D> {
    // Bound by memory, not arithmetic: large jobs store every mode's results
    // non-temporally (kernels.cc StreamsOneOutput).
    static constexpr bool kStreamLargeOutputs = true;
    // A few vector operations per element in its forward: float64 jobs
    // past L2 run it in 256-bit vectors on 512-bit targets (kernels.cc
    // NarrowsPastL2).
    static constexpr bool kNarrowPastL2 = true;
    Kernel(D d, const ParamValues&) : ClampKernel<D>(d, 0, 6) {}
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_RELU6_INL_H_
