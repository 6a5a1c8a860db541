// elu(x) = x if x > 0 else alpha * (exp(x) - 1).
#ifndef ACTIVATIONS_ELU_SPEC_H_
#define ACTIVATIONS_ELU_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kEluParams[] = {
    {.name = "alpha",
     .default_value = 1.0,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "value f approaches as x -> -inf is -alpha; >= 0 so that "
                    "y > 0 exactly when x > 0"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double EluReference(long double x, const double* p) {
  return x > 0 ? x : p[0] * std::expm1(x);
}
inline long double EluReferenceDerivative(long double x, const double* p) {
  return x > 0 ? 1 : p[0] * std::exp(x);
}
inline long double EluReferenceFromOutput(long double y, const double* p) {
  return y > 0 ? 1 : y + p[0];
}
inline constexpr ActivationSpec kEluSpec{
    .name = "elu",
    .formula = "f(x) = x if x > 0 else alpha * (exp(x) - 1)",
    .derivative_formula = "f'(x) = 1 if x > 0 else alpha * exp(x) (= f(x) + alpha)",
    .params = kEluParams,
    .output_range = {.min = -1, .max = kInf},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 2, .derivative = 2, .backward = 2, .derivative_from_output = 2,
                    .backward_from_output = 2},
    .ulp_float64 = {.forward = 2, .derivative = 2, .backward = 2, .derivative_from_output = 2,
                    .backward_from_output = 2},
    .notes = "expm1 keeps full precision near 0. f'(0) = alpha, as PyTorch (it is "
             "C1 only for alpha = 1). From the output, f' = y + alpha for y <= 0.",
    .reference = {&EluReference, &EluReferenceDerivative, &EluReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = alpha
struct EluNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x > T(0) ? x : static_cast<T>(p[0]) * (std::exp(x) - T(1));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > T(0) ? T(1) : static_cast<T>(p[0]) * std::exp(x);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_ELU_SPEC_H_

#if defined(ACTIVATIONS_ELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_ELU_INL_H_
#undef ACTIVATIONS_ELU_INL_H_
#else
#define ACTIVATIONS_ELU_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Elu {
  static constexpr bool kFloatForwardViaDouble = false;
  static constexpr bool kFloatDerivativeViaDouble = false;

  // An alpha above 2^64 (float32) or 2^960 (float64) takes the rare
  // kernel, chosen once per call by the driver (kernels.cc, RunInType), so
  // the common one tests nothing per vector.
  template <typename T>
  static bool UseRareKernel(const ParamValues& p) {
    return p[0] > (sizeof(T) == 4 ? 0x1p64 : 0x1p960);
  }

  template <class D, bool kHugeAlpha>
  struct KernelOf {
    using T = hn::TFromD<D>;
    D d;
    V<D> alpha;
    // float32 with a huge alpha: ln(alpha) as hi + lo (from float64's log,
    // within 2^-52 of it), for f' = e^(x + ln alpha) (below).
    V<D> log_alpha, log_alpha_lo;
    KernelOf(D d_in, const ParamValues& p)
        : d(d_in), alpha(hn::Set(d_in, static_cast<T>(p[0]))) {
      if constexpr (kHugeAlpha && sizeof(T) == 4) {
        const double l = std::log(p[0]);
        log_alpha = hn::Set(d, static_cast<T>(l));
        log_alpha_lo = hn::Set(d, static_cast<T>(l - static_cast<T>(l)));
      }
    }

    using State = PositiveAndExpParts<D>;
    HWY_INLINE State Prepare(V<D> x) const { return ComputePositiveAndExpParts(d, x); }
    // x itself for x >= 0: f(+-0) = +-0, also where alpha is inf in float32
    // (alpha above FLT_MAX: inf * 0 would be NaN).
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      return hn::IfThenElse(hn::Ge(x, hn::Zero(d)), x, hn::Mul(alpha, s.e.Expm1NonPositive(d)));
    }
    // g alpha e^x with g alpha multiplied in before the scaling by 2^q, so it
    // keeps full precision where alpha e^x alone is subnormal (x < -87 in
    // float32) but the product is not.
    //
    // Huge alpha (the rare kernel), float64: (alpha 2^q) (1 + pm1) times g
    // instead (alpha (1 + pm1) and g alpha would overflow before the scaling
    // by 2^q <= 1 brings them back): alpha 2^q is exact and cannot overflow,
    // the FMA overflows only where f' does, and x = -inf gives 0, not inf *
    // 0 (one rounding more in backward, and a subnormal alpha e^x is rounded
    // before g multiplies it: only below x = -1370). float32: alpha may be
    // inf in float32 lanes (above FLT_MAX) and alpha e^x is below float32's
    // range where the product is not (alpha = 1e38, x = -171), so f' = e^(x
    // + ln alpha) with x + ln alpha as hi + lo (exact TwoSum, plus ln
    // alpha's lo part): g multiplied in before the scaling, inf where f'
    // overflows, 0 at x = -inf.
    HWY_INLINE V<D> HugeAlphaExp(const State& s) const {
      const V<D> scaled = s.e.Scale(alpha);
      return hn::MulAdd(scaled, s.e.pm1, scaled);
    }
    // f alpha e^x for x <= 0, f = g or Unit.
    template <class G>
    HWY_INLINE V<D> AlphaExp(const State& s, V<D> x, G g) const {
      if constexpr (kHugeAlpha && sizeof(T) == 4) {
        V<D> f;
        if constexpr (kIsUnit<G>) {
          f = hn::Set(d, 1);
        } else {
          f = g;
        }
        V<D> w_lo;
        const V<D> w = TwoSum(d, hn::Min(x, hn::Zero(d)), log_alpha, &w_lo);
        // Above w = 89 the exponential is clamped (e^89 times a g below 3/4
        // would stay finite): f 2^381 there, inf but for f = 0 (finite g:
        // the driver takes the others).
        const V<D> big = hn::Set(d, 0x1p127f);
        const V<D> over = hn::Mul(hn::Mul(hn::Mul(f, big), big), big);
        return hn::IfThenElse(hn::Gt(w, hn::Set(d, FloatTraits<T>::kExpMax)), over,
                              ComputeExpParts(d, w, hn::Add(w_lo, log_alpha_lo)).MulExp(d, f));
      } else if constexpr (kHugeAlpha) {
        return Times(d, g, HugeAlphaExp(s));
      } else {
        return s.e.MulExp(d, Times(d, g, alpha));
      }
    }
    HWY_INLINE V<D> Slope(const State& s, V<D> x, Unit) const {
      return hn::IfThenElse(s.pos, hn::Set(d, 1), AlphaExp(s, x, Unit{}));
    }
    HWY_INLINE V<D> Slope(const State& s, V<D> x, V<D> g) const {
      return hn::IfThenElse(s.pos, g, AlphaExp(s, x, g));
    }
    // Huge alpha (the rare kernel): y = -inf stays -inf, as y + alpha in
    // exact arithmetic, where alpha is inf in float32 lanes (above FLT_MAX;
    // -inf + inf was NaN).
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      V<D> sum = hn::Add(y, alpha);
      if constexpr (kHugeAlpha) {
        sum = hn::IfThenElse(hn::Eq(y, hn::Neg(hn::Inf(d))), y, sum);
      }
      return Times(d, g, hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Set(d, 1), sum));
    }
  };
  template <class D>
  using Kernel = KernelOf<D, false>;
  template <class D>
  using RareKernel = KernelOf<D, true>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_ELU_INL_H_
