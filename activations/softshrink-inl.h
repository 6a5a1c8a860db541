// softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0.
#ifndef ACTIVATIONS_SOFTSHRINK_SPEC_H_
#define ACTIVATIONS_SOFTSHRINK_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kSoftshrinkParams[] = {
    {.name = "lambd",
     .default_value = 0.5,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "half-width of the interval mapped to 0; >= 0 (as PyTorch)"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double SoftshrinkReference(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return x > p[0] ? x - p[0] : (x < -p[0] ? x + p[0] : 0);
}
inline long double SoftshrinkReferenceDerivative(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return std::fabs(x) > p[0] ? 1 : 0;
}
inline long double SoftshrinkReferenceFromOutput(long double y, const double*) {
  if (std::isnan(y)) return y;
  return y != 0 ? 1 : 0;
}
inline constexpr ActivationSpec kSoftshrinkSpec{
    .name = "softshrink",
    .formula = "f(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0",
    .derivative_formula = "f'(x) = 1 if |x| > lambd else 0",
    .params = kSoftshrinkParams,
    .output_range = {},
    .properties = {.bounded_below = false, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 0.5, .derivative = 0.5, .backward = 0.5, .derivative_from_output = 0.5,
                    .backward_from_output = 0.5},
    .notes = "f'(+-lambd) = 0, as PyTorch's softshrink_backward; backward selects "
             "(g outside [-lambd, lambd], else 0 for every g but NaN). x - lambd "
             "is rounded once with lambd exact (float32 in float64), so it keeps "
             "its digits next to lambd. From the output, y != 0 exactly when "
             "|x| > lambd.",
    .reference = {&SoftshrinkReference, &SoftshrinkReferenceDerivative,
                  &SoftshrinkReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = lambd.
struct SoftshrinkNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    const T l = static_cast<T>(p[0]);
    return x > l ? x - l : (x < -l ? x + l : T(0));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return std::fabs(x) > static_cast<T>(p[0]) ? T(1) : T(0);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SOFTSHRINK_SPEC_H_

#if defined(ACTIVATIONS_SOFTSHRINK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SOFTSHRINK_INL_H_
#undef ACTIVATIONS_SOFTSHRINK_INL_H_
#else
#define ACTIVATIONS_SOFTSHRINK_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
#include "activations/piecewise-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Softshrink {
  // float32 through float64, where lambd is exact: x - lambd then rounds
  // once (a float32 lambd = 0.1f would be off by 1.5e-9, which is many ULP
  // of x - lambd next to lambd).
  static constexpr bool kFloatForwardViaDouble = true;
  static constexpr bool kFloatDerivativeViaDouble = true;

  template <class D>
  struct Kernel {
    D d;
    V<D> lambd;
    Kernel(D d_in, const ParamValues& p) : d(d_in), lambd(hn::Set(d_in, p[0])) {}

    // |x| <= lambd, where f = 0 and f' = 0.
    using State = hn::Mask<D>;
    HWY_INLINE State Prepare(V<D> x) const { return hn::Le(hn::Abs(x), lambd); }
    // x - lambd * sign(x) outside [-lambd, lambd].
    HWY_INLINE V<D> Value(const State& flat, V<D> x) const {
      return hn::IfThenZeroElse(flat, hn::Sub(x, hn::CopySign(lambd, x)));
    }
    // Selects: g or 0.
    HWY_INLINE V<D> Slope(const State& flat, V<D>, Unit) const {
      return hn::IfThenZeroElse(flat, hn::Set(d, 1));
    }
    HWY_INLINE V<D> Slope(const State& flat, V<D>, V<D> g) const {
      return hn::IfThenZeroElse(flat, g);
    }
    // y = 0 exactly when |x| <= lambd.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      return Slope(hn::Eq(y, hn::Zero(d)), y, g);
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SOFTSHRINK_INL_H_
