// leaky_relu(x) = x if x > 0 else negative_slope * x.
#ifndef ACTIVATIONS_LEAKY_RELU_SPEC_H_
#define ACTIVATIONS_LEAKY_RELU_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kLeakyReluParams[] = {
    {.name = "negative_slope",
     .default_value = 0.01,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "slope for x <= 0; >= 0 so that y > 0 exactly when x > 0"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double LeakyReluReference(long double x, const double* p) {
  return x > 0 ? x : p[0] * x;
}
inline long double LeakyReluReferenceDerivative(long double x, const double* p) {
  return std::isnan(x) ? x : (x > 0 ? 1 : p[0]);
}
inline constexpr ActivationSpec kLeakyReluSpec{
    .name = "leaky_relu",
    .formula = "f(x) = x if x > 0 else negative_slope * x",
    .derivative_formula = "f'(x) = 1 if x > 0 else negative_slope",
    .params = kLeakyReluParams,
    .output_range = {},
    .properties = {.bounded_below = false, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    // The slope is applied in the element type: rounding it adds <= 0.5 ULP.
    .ulp_float32 = {.forward = 1, .derivative = 1, .backward = 1, .derivative_from_output = 1,
                    .backward_from_output = 1},
    .ulp_float64 = {.forward = 1, .derivative = 1, .backward = 1, .derivative_from_output = 1,
                    .backward_from_output = 1},
    .notes = "Not differentiable at 0: f'(0) = negative_slope, as PyTorch.",
    .reference = {&LeakyReluReference, &LeakyReluReferenceDerivative, &LeakyReluReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = negative_slope
struct LeakyReluNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x > T(0) ? x : static_cast<T>(p[0]) * x;
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > T(0) ? T(1) : static_cast<T>(p[0]);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_LEAKY_RELU_SPEC_H_

#if defined(ACTIVATIONS_LEAKY_RELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_LEAKY_RELU_INL_H_
#undef ACTIVATIONS_LEAKY_RELU_INL_H_
#else
#define ACTIVATIONS_LEAKY_RELU_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct LeakyRelu {
  static constexpr bool kFloatForwardViaDouble = false;
  static constexpr bool kFloatDerivativeViaDouble = false;

  template <class D>
  struct Kernel {
    // Bound by memory, not arithmetic: large jobs store every mode's results
    // non-temporally (kernels.cc StreamsOneOutput).
    static constexpr bool kStreamLargeOutputs = true;
    using T = hn::TFromD<D>;
    D d;
    V<D> slope;
    // All bits of x where x slope is NaN though negative_slope > 0 (x = -inf
    // with a slope that rounds to 0 in float32, x = +-0 with one that
    // rounds to inf: the limits are x itself); no bits (0) where
    // negative_slope = 0.
    V<D> nan_keeps_x;
    Kernel(D d_in, const ParamValues& p)
        : d(d_in),
          slope(hn::Set(d_in, static_cast<T>(p[0]))),
          nan_keeps_x(p[0] > 0 ? hn::Not(hn::Zero(d_in)) : hn::Zero(d_in)) {}

    using State = hn::Mask<D>;  // x > 0
    HWY_INLINE State Prepare(V<D> x) const { return hn::Gt(x, hn::Zero(d)); }
    // With negative_slope = 0, -inf * 0 is NaN: the limit is 0.
    HWY_INLINE V<D> Value(const State& pos, V<D> x) const {
      const V<D> neg = hn::Mul(x, slope);
      return hn::IfThenElse(pos, x, hn::IfThenElse(hn::IsNaN(neg), hn::And(x, nan_keeps_x), neg));
    }
    HWY_INLINE V<D> Slope(const State& pos, V<D>, Unit) const {
      return hn::IfThenElse(pos, hn::Set(d, 1), slope);
    }
    HWY_INLINE V<D> Slope(const State& pos, V<D>, V<D> g) const {
      return hn::IfThenElse(pos, g, hn::Mul(g, slope));
    }
    // With negative_slope >= 0, y > 0 exactly when x > 0.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const { return Slope(Prepare(y), y, g); }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_LEAKY_RELU_INL_H_
