// hardshrink(x) = x if |x| > lambd else 0.
#ifndef ACTIVATIONS_HARDSHRINK_SPEC_H_
#define ACTIVATIONS_HARDSHRINK_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kHardshrinkParams[] = {
    {.name = "lambd",
     .default_value = 0.5,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "half-width of the interval mapped to 0; >= 0 so that y != 0 "
                    "exactly when |x| > lambd"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double HardshrinkReference(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return std::fabs(x) > p[0] ? x : 0;
}
inline long double HardshrinkReferenceDerivative(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return std::fabs(x) > p[0] ? 1 : 0;
}
inline long double HardshrinkReferenceFromOutput(long double y, const double*) {
  if (std::isnan(y)) return y;
  return y != 0 ? 1 : 0;
}
inline constexpr ActivationSpec kHardshrinkSpec{
    .name = "hardshrink",
    .formula = "f(x) = x if |x| > lambd else 0",
    .derivative_formula = "f'(x) = 1 if |x| > lambd else 0",
    .params = kHardshrinkParams,
    .output_range = {},
    .properties = {.bounded_below = false, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0, .derivative = 0, .backward = 0, .derivative_from_output = 0,
                    .backward_from_output = 0},
    .ulp_float64 = {.forward = 0, .derivative = 0, .backward = 0, .derivative_from_output = 0,
                    .backward_from_output = 0},
    .notes = "Exact. f jumps at +-lambd; f'(+-lambd) = 0, as PyTorch's "
             "hardshrink_backward, and backward selects (0 inside [-lambd, lambd] "
             "for every g but NaN). |x| > lambd is decided exactly against the "
             "float64 lambd, also in float32. From the output, y != 0 exactly "
             "when |x| > lambd.",
    .reference = {&HardshrinkReference, &HardshrinkReferenceDerivative,
                  &HardshrinkReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = lambd.
struct HardshrinkNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return std::fabs(x) > static_cast<T>(p[0]) ? x : T(0);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return std::fabs(x) > static_cast<T>(p[0]) ? T(1) : T(0);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_HARDSHRINK_SPEC_H_

#if defined(ACTIVATIONS_HARDSHRINK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_HARDSHRINK_INL_H_
#undef ACTIVATIONS_HARDSHRINK_INL_H_
#else
#define ACTIVATIONS_HARDSHRINK_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
#include "activations/piecewise-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Hardshrink {
  static constexpr bool kFloatForwardViaDouble = false;
  static constexpr bool kFloatDerivativeViaDouble = false;

  template <class D>
  struct Kernel : ShrinkSlope<D> {
    // Bound by memory, not arithmetic: large jobs store every mode's results
    // non-temporally (kernels.cc StreamsOneOutput).
    static constexpr bool kStreamLargeOutputs = true;
    // A few vector operations per element in its forward: float64 jobs
    // past L2 run it in 256-bit vectors on 512-bit targets (kernels.cc
    // NarrowsPastL2).
    static constexpr bool kNarrowPastL2 = true;
    Kernel(D, const ParamValues& p) : ShrinkSlope<D>(p[0]) {}
    // Value gives x itself where x is NaN (|NaN| < outside is false): the
    // forward needs no NaN restore (kernels.cc, ValueKeepsNaN).
    static constexpr bool kValueKeepsNaN = true;

    // Prepare, Slope and SlopeFromOutput: ShrinkSlope (f = 0 where f' = 0).
    using State = typename ShrinkSlope<D>::State;
    HWY_INLINE V<D> Value(const State& flat, V<D> x) const { return hn::IfThenZeroElse(flat, x); }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_HARDSHRINK_INL_H_
