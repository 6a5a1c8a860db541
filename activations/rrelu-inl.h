// rrelu(x) in evaluation mode = leaky_relu(x, (lower + upper) / 2) (Xu et al.
// 2015): the training mode's random slopes are replaced by their mean.
#ifndef ACTIVATIONS_RRELU_SPEC_H_
#define ACTIVATIONS_RRELU_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kRreluParams[] = {
    {.name = "lower",
     .default_value = 1.0 / 8,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "lower end of the training mode's slope distribution; "
                    "<= upper"},
    {.name = "upper",
     .default_value = 1.0 / 3,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "upper end of the training mode's slope distribution; the "
                    "slope for x <= 0 is (lower + upper) / 2"},
};
inline const char* RreluCheckParams(const double* p) {
  return p[0] <= p[1] ? nullptr : "lower must not exceed upper (as torch.nn.RReLU)";
}
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double RreluReference(long double x, const double* p) {
  return x > 0 ? x : (static_cast<long double>(p[0]) + p[1]) / 2 * x;
}
inline long double RreluReferenceDerivative(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return x > 0 ? 1 : (static_cast<long double>(p[0]) + p[1]) / 2;
}
inline constexpr ActivationSpec kRreluSpec{
    .name = "rrelu",
    .formula = "f(x) = x if x > 0 else (lower + upper) / 2 * x",
    .derivative_formula = "f'(x) = 1 if x > 0 else (lower + upper) / 2",
    .params = kRreluParams,
    .output_range = {},
    .properties = {.bounded_below = false, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 1, .derivative = 1, .backward = 1, .derivative_from_output = 1,
                    .backward_from_output = 1},
    .notes = "Evaluation mode only (training=False), which is deterministic: the "
             "slope is the mean (lower + upper) / 2, as PyTorch's eval mode. "
             "Not differentiable at 0: f'(0) = the slope. The slope is applied "
             "as a float64 pair hi + lo; float32 is computed in float64 and "
             "rounded once.",
    .reference = {&RreluReference, &RreluReferenceDerivative, &RreluReferenceDerivative},
    .pytorch = "torch.nn.functional.rrelu(input, lower, upper, training=False)",
    .check_params = &RreluCheckParams,
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = lower, p[1] = upper.
struct RreluNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x > T(0) ? x : static_cast<T>((p[0] + p[1]) / 2) * x;
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > T(0) ? T(1) : static_cast<T>((p[0] + p[1]) / 2);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_RRELU_SPEC_H_

#if defined(ACTIVATIONS_RRELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_RRELU_INL_H_
#undef ACTIVATIONS_RRELU_INL_H_
#else
#define ACTIVATIONS_RRELU_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Rrelu {
  // float32 in float64: the slope (11/48 at the defaults, not a float) then
  // costs no rounding of its own (rounded to float32 it costs 0.8 ULP). On
  // FMA targets inside the float32 loop (the kFloatInWideLanes branches),
  // elsewhere through the driver's float64 path; from y as from x.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  static constexpr bool kFloatFromOutputViaDouble = kFloatViaDouble;

  template <class D>
  struct Kernel {
    using T = hn::TFromD<D>;
    D d;
    V<D> slope, slope_lo;  // (lower + upper) / 2 = slope + slope_lo
    V<WideHalf<D>> slope_wide;  // float32 (kFloatInWideLanes): the mean in float64
    static long double Mean(const ParamValues& p) {
      return (static_cast<long double>(p[0]) + p[1]) / 2;
    }
    // The mean's rounding to T; 0 where the mean overflows T (float32 with
    // upper >= 2^128), so that slope + slope_lo is inf and not inf - inf.
    static T SlopeLo(long double mean) {
      const T hi = static_cast<T>(mean);
      return std::isinf(hi) ? T(0) : static_cast<T>(mean - hi);
    }
    Kernel(D d_in, const ParamValues& p)
        : d(d_in),
          slope(hn::Set(d_in, static_cast<T>(Mean(p)))),
          slope_lo(hn::Set(d_in, SlopeLo(Mean(p)))),
          slope_wide(hn::Set(WideHalf<D>(), static_cast<double>(Mean(p)))) {}

    using State = hn::Mask<D>;  // x > 0
    HWY_INLINE State Prepare(V<D> x) const { return hn::Gt(x, hn::Zero(d)); }
    // v (slope + slope_lo); v clamped in the correction so that -inf gives
    // -inf, and a NaN from -inf * 0 (slope 0) is the limit 0. float32: v
    // times the float64 mean, rounded once to float32.
    HWY_INLINE V<D> TimesSlope(V<D> v) const {
      V<D> neg;
      if constexpr (kFloatInWideLanes<D>) {
        const Halves<D> h = PromoteHalves(d, v);
        neg = DemoteHalves(d, hn::Mul(h.lo, slope_wide), hn::Mul(h.hi, slope_wide));
      } else {
        neg = hn::MulAdd(slope_lo, ClampHuge(d, v), hn::Mul(v, slope));
      }
      return hn::IfThenZeroElse(hn::IsNaN(neg), neg);
    }
    HWY_INLINE V<D> Value(const State& pos, V<D> x) const {
      return hn::IfThenElse(pos, x, TimesSlope(x));
    }
    // g itself for x > 0; g (slope + slope_lo) below.
    HWY_INLINE V<D> Slope(const State& pos, V<D>, Unit) const {
      return hn::IfThenElse(pos, hn::Set(d, 1), hn::Add(slope, slope_lo));
    }
    HWY_INLINE V<D> Slope(const State& pos, V<D>, V<D> g) const {
      return hn::IfThenElse(pos, g, TimesSlope(g));
    }
    // With a slope >= 0, y > 0 exactly when x > 0.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const { return Slope(Prepare(y), y, g); }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_RRELU_INL_H_
