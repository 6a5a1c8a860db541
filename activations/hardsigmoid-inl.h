// hardsigmoid(x) = relu6(x + 3) / 6: a piecewise-linear sigmoid.
#ifndef ACTIVATIONS_HARDSIGMOID_SPEC_H_
#define ACTIVATIONS_HARDSIGMOID_SPEC_H_
#include <algorithm>

#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double HardsigmoidReference(long double x, const double*) {
  if (std::isnan(x)) return x;
  return x <= -3 ? 0 : (x >= 3 ? 1 : (x + 3) / 6);
}
inline long double HardsigmoidReferenceDerivative(long double x, const double*) {
  if (std::isnan(x)) return x;
  return x > -3 && x < 3 ? 1.0L / 6 : 0;
}
inline long double HardsigmoidReferenceFromOutput(long double y, const double*) {
  if (std::isnan(y)) return y;
  return y > 0 && y < 1 ? 1.0L / 6 : 0;
}
inline constexpr ActivationSpec kHardsigmoidSpec{
    .name = "hardsigmoid",
    .formula = "f(x) = 0 if x <= -3, 1 if x >= 3, else x / 6 + 1 / 2",
    .derivative_formula = "f'(x) = 1 / 6 if -3 < x < 3 else 0",
    .params = {},
    .output_range = {.min = 0, .max = 1, .min_inclusive = true, .max_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = true, .smooth = false,
                   .monotonic = true, .zero_centered = false, .saturating = true},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 1, .derivative = 1, .backward = 1, .derivative_from_output = 1,
                    .backward_from_output = 1},
    .notes = "f'(-3) = f'(3) = 0, as PyTorch's hardsigmoid_backward; backward is "
             "g / 6 inside (-3, 3) (one rounding) and selects 0 outside for every "
             "g but NaN. f = (x + 3) / 6, where x + 3 is exact near -3, so there is "
             "no cancellation. float32: x + 3 exactly as a pair, the quotient "
             "corrected by its FMA-exact residual (float64 without FMA). "
             "From the output, 0 < y < 1 exactly when -3 < x < 3.",
    .reference = {&HardsigmoidReference, &HardsigmoidReferenceDerivative,
                  &HardsigmoidReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct HardsigmoidNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return std::min(std::max(x + T(3), T(0)), T(6)) / T(6);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    return x > T(-3) && x < T(3) ? T(1) / T(6) : T(0);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_HARDSIGMOID_SPEC_H_

#if defined(ACTIVATIONS_HARDSIGMOID_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_HARDSIGMOID_INL_H_
#undef ACTIVATIONS_HARDSIGMOID_INL_H_
#else
#define ACTIVATIONS_HARDSIGMOID_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
#include "activations/piecewise-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Hardsigmoid {
  // float32 rounded once, (x + 3) / 6 to 0.5 ULP rather than 1 ULP: on FMA
  // targets natively with error-free transformations (Value below),
  // elsewhere through the driver's float64 path.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  template <class D>
  struct Kernel {
    // Bound by memory, not arithmetic: large jobs store every mode's results
    // non-temporally (kernels.cc StreamsOneOutput).
    static constexpr bool kStreamLargeOutputs = true;
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // -3 < x < 3, where f' = 1/6.
    using State = hn::Mask<D>;
    HWY_INLINE State Prepare(V<D> x) const {
      return hn::And(hn::Gt(x, hn::Set(d, -3)), hn::Lt(x, hn::Set(d, 3)));
    }
    // The clamp covers the flat parts: (x + 3) / 6 <= 0 exactly when x <= -3.
    HWY_INLINE V<D> Value(const State&, V<D> x) const {
      if constexpr (kFloatInWideLanes<D>) {
        // float32 natively (FMA targets): x clamped to [-3, 3] first
        // (exact); s + s_lo = x + 3 exactly (Fast2Sum: |3| >= |x|); q0 = s
        // (1/6 rounded) corrected once by the residual s - 6 q0, which one
        // FMA forms exactly, plus s_lo: 0.5 ULP + 2^-21. The ends give
        // exactly 0 and 1.
        const V<D> xc = hn::Min(hn::Max(x, hn::Set(d, -3)), hn::Set(d, 3));
        const V<D> three = hn::Set(d, 3);
        const V<D> s = hn::Add(three, xc);
        const V<D> s_lo = hn::Sub(xc, hn::Sub(s, three));
        const V<D> sixth = hn::Set(d, 1.0f / 6);
        const V<D> q0 = hn::Mul(s, sixth);
        const V<D> residual = hn::Add(hn::NegMulAdd(q0, hn::Set(d, 6), s), s_lo);
        return hn::MulAdd(residual, sixth, q0);
      } else {
        const V<D> t = hn::Div(hn::Add(x, hn::Set(d, 3)), hn::Set(d, 6));
        return hn::Min(hn::Max(t, hn::Zero(d)), hn::Set(d, 1));
      }
    }
    // g / 6 rather than g * (1/6 rounded): one rounding. Selects outside.
    HWY_INLINE V<D> Slope(const State& inside, V<D>, Unit) const {
      return hn::IfThenElseZero(inside, hn::Div(hn::Set(d, 1), hn::Set(d, 6)));
    }
    HWY_INLINE V<D> Slope(const State& inside, V<D>, V<D> g) const {
      return hn::IfThenElseZero(inside, DivideBySix(g));
    }
    // g / 6. float64 on FMA targets (session 22): VDIVPD takes about 10
    // cycles per AVX-512 vector on Zen 4, so q0 = g (1/6 rounded) is
    // corrected by its residual 6 q0 - g, which one FMA forms exactly:
    // correctly rounded where g / 6 is normal (Markstein: 1/6 rounded to
    // nearest, q0 within an ULP), within an ULP below (the float64 bound is
    // 1 ULP). The residual is subtracted (q0 - r (1/6)) so that g = -0 gives
    // -0. float32 keeps the division (its 0.501 bound and exhaustive
    // certificate).
    HWY_INLINE V<D> DivideBySix(V<D> g) const {
      if constexpr (sizeof(hn::TFromD<D>) == 8 && HWY_NATIVE_FMA) {
        const V<D> sixth = hn::Set(d, 1.0 / 6);
        const V<D> q0 = hn::Mul(g, sixth);
        return hn::NegMulAdd(hn::MulSub(q0, hn::Set(d, 6), g), sixth, q0);
      } else {
        return hn::Div(g, hn::Set(d, 6));
      }
    }
    // 0 < y < 1 exactly when -3 < x < 3.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      return Slope(hn::And(hn::Gt(y, hn::Zero(d)), hn::Lt(y, hn::Set(d, 1))), y, g);
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_HARDSIGMOID_INL_H_
