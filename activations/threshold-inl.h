// threshold(x) = x if x > threshold else value.
#ifndef ACTIVATIONS_THRESHOLD_SPEC_H_
#define ACTIVATIONS_THRESHOLD_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kThresholdParams[] = {
    {.name = "threshold",
     .default_value = 0.0,
     .valid_range = {},
     .description = "x passes through above it (PyTorch has no default; 0 here, "
                    "which with value = 0 is relu)"},
    {.name = "value",
     .default_value = 0.0,
     .valid_range = {},
     .description = "f(x) for x <= threshold (PyTorch has no default; 0 here)"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double ThresholdReference(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return x > p[0] ? x : p[1];
}
inline long double ThresholdReferenceDerivative(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return x > p[0] ? 1 : 0;
}
inline constexpr ActivationSpec kThresholdSpec{
    .name = "threshold",
    .formula = "f(x) = x if x > threshold else value",
    .derivative_formula = "f'(x) = 1 if x > threshold else 0",
    .params = kThresholdParams,
    .output_range = {.min = 0, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = false, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 0.5, .derivative = 0.5, .backward = 0.5},
    .ulp_float64 = {.forward = 0.5, .derivative = 0.5, .backward = 0.5},
    .notes = "Exact but for value, which is rounded to the element type (0 ULP at "
             "the defaults). f'(threshold) = 0, as PyTorch's threshold_backward; "
             "backward selects (0 at x <= threshold for every g but NaN). x > "
             "threshold is decided exactly against the float64 threshold. The "
             "derivative is not a function of the output: value may lie above "
             "threshold. Properties and output range are those of the defaults "
             "(relu).",
    .reference = {&ThresholdReference, &ThresholdReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = threshold, p[1] = value.
struct ThresholdNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x > static_cast<T>(p[0]) ? x : static_cast<T>(p[1]);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > static_cast<T>(p[0]) ? T(1) : T(0);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_THRESHOLD_SPEC_H_

#if defined(ACTIVATIONS_THRESHOLD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_THRESHOLD_INL_H_
#undef ACTIVATIONS_THRESHOLD_INL_H_
#else
#define ACTIVATIONS_THRESHOLD_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
#include "activations/piecewise-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Threshold {
  static constexpr bool kFloatForwardViaDouble = false;
  static constexpr bool kFloatDerivativeViaDouble = false;

  template <class D>
  struct Kernel : FlatOrUnitSlope<D> {
    // Bound by memory, not arithmetic: large jobs store every mode's results
    // non-temporally (kernels.cc StreamsOneOutput).
    static constexpr bool kStreamLargeOutputs = true;
    // A few vector operations per element in its forward: float64 jobs
    // past L2 run it in 256-bit vectors on 512-bit targets (kernels.cc
    // NarrowsPastL2).
    static constexpr bool kNarrowPastL2 = true;
    using T = hn::TFromD<D>;
    D d;
    V<D> above;  // x > threshold <=> x >= above
    V<D> value;
    Kernel(D d_in, const ParamValues& p)
        : d(d_in),
          above(hn::Set(d_in, FirstAbove<T>(p[0]))),
          value(hn::Set(d_in, NearestOf<T>(p[1]))) {}

    // x <= threshold, where f = value and f' = 0 (Slope: FlatOrUnitSlope).
    using State = typename FlatOrUnitSlope<D>::State;
    HWY_INLINE State Prepare(V<D> x) const { return hn::Lt(x, above); }
    HWY_INLINE V<D> Value(const State& flat, V<D> x) const {
      return hn::IfThenElse(flat, value, x);
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_THRESHOLD_INL_H_
