// hardtanh(x) = min(max(x, min_val), max_val): a clamp.
#ifndef ACTIVATIONS_HARDTANH_SPEC_H_
#define ACTIVATIONS_HARDTANH_SPEC_H_
#include <algorithm>

#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kHardtanhParams[] = {
    {.name = "min_val",
     .default_value = -1.0,
     .valid_range = {},
     .description = "lower end of the linear region, the value of f below it; "
                    "must be less than max_val"},
    {.name = "max_val",
     .default_value = 1.0,
     .valid_range = {},
     .description = "upper end of the linear region, the value of f above it"},
};
inline const char* HardtanhCheckParams(const double* p) {
  return p[0] < p[1] ? nullptr : "min_val must be less than max_val (as torch.nn.Hardtanh)";
}
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double HardtanhReference(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return x < p[0] ? p[0] : (x > p[1] ? p[1] : x);
}
inline long double HardtanhReferenceDerivative(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return x > p[0] && x < p[1] ? 1 : 0;
}
inline constexpr ActivationSpec kHardtanhSpec{
    .name = "hardtanh",
    .formula = "f(x) = min_val if x < min_val, max_val if x > max_val, else x",
    .derivative_formula = "f'(x) = 1 if min_val < x < max_val else 0",
    .params = kHardtanhParams,
    .output_range = {.min = -1, .max = 1, .min_inclusive = true, .max_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = true, .smooth = false,
                   .monotonic = true, .zero_centered = true, .saturating = true},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.5, .derivative = 0.5, .backward = 0.5, .derivative_from_output = 0.5,
                    .backward_from_output = 0.5},
    .ulp_float64 = {.forward = 0.5, .derivative = 0.5, .backward = 0.5, .derivative_from_output = 0.5,
                    .backward_from_output = 0.5},
    .notes = "f'(min_val) = f'(max_val) = 0, as PyTorch's hardtanh_backward; "
             "backward selects (0 outside the open interval for every g but NaN, "
             "which stays NaN). Exact except that min_val and max_val are rounded "
             "to the element type (0 ULP at the defaults). From the output, "
             "min_val < y < max_val exactly when min_val < x < max_val.",
    .reference = {&HardtanhReference, &HardtanhReferenceDerivative,
                  &HardtanhReferenceDerivative},
    .check_params = &HardtanhCheckParams,
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = min_val, p[1] = max_val.
struct HardtanhNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return std::min(std::max(x, static_cast<T>(p[0])), static_cast<T>(p[1]));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > static_cast<T>(p[0]) && x < static_cast<T>(p[1]) ? T(1) : T(0);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_HARDTANH_SPEC_H_

#if defined(ACTIVATIONS_HARDTANH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_HARDTANH_INL_H_
#undef ACTIVATIONS_HARDTANH_INL_H_
#else
#define ACTIVATIONS_HARDTANH_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
#include "activations/piecewise-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// A clamp to [lo, hi] with f' = 1 strictly inside; shared with relu6.
template <class D>
struct ClampKernel {
  using T = hn::TFromD<D>;
  D d;
  V<D> lo, hi;              // the ends rounded to T: the values f takes
  V<D> inside_lo, inside_hi;  // x > lo <=> x >= inside_lo, x < hi <=> x <= inside_hi
  ClampKernel(D d_in, double lo_in, double hi_in)
      : d(d_in),
        lo(hn::Set(d_in, NearestOf<T>(lo_in))),
        hi(hn::Set(d_in, NearestOf<T>(hi_in))),
        inside_lo(hn::Set(d_in, FirstAbove<T>(lo_in))),
        inside_hi(hn::Set(d_in, LastBelow<T>(hi_in))) {}

  // x strictly inside (lo, hi), where f' = 1.
  using State = hn::Mask<D>;
  HWY_INLINE State Prepare(V<D> x) const {
    return hn::And(hn::Ge(x, inside_lo), hn::Le(x, inside_hi));
  }
  // Max/Min ignore where x is NaN; the driver restores NaN lanes.
  HWY_INLINE V<D> Value(const State&, V<D> x) const { return hn::Min(hn::Max(x, lo), hi); }
  // Selects, not products: g or 0 (the driver keeps a NaN g NaN and gives 0
  // for g = +-inf outside).
  HWY_INLINE V<D> Slope(const State& inside, V<D>, Unit) const {
    return hn::IfThenElseZero(inside, hn::Set(d, 1));
  }
  HWY_INLINE V<D> Slope(const State& inside, V<D>, V<D> g) const {
    return hn::IfThenElseZero(inside, g);
  }
  // y is inside (lo, hi) exactly when x is.
  template <class G>
  HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const { return Slope(Prepare(y), y, g); }
};

struct Hardtanh {
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
    Kernel(D d, const ParamValues& p) : ClampKernel<D>(d, p[0], p[1]) {}
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_HARDTANH_INL_H_
