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
#include <limits>

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
    // f e^w for w = x + ln(alpha) (hi + lo) above float32's exponential
    // range (89), float32 with a huge alpha: e^w = e^(w - j K) 2^(128 j),
    // K = 128 ln2 (Cody-Waite's pair times 128), j = 1 up to 88 + K, 2 up
    // to 88 + 2 K = 265.4 (beyond, f e^w > FLT_MAX for every f >= 2^-149:
    // `over`). f 2^(64 j) is exact (f >= 2^-149: a normal 2^-85 or more;
    // |f| >= 2^64, resp. 1, overflows where f e^w does), e^(w - jK) >
    // e^-0.8, so (f 2^(64 j)) (1 + pm1) is the one rounding, in the normal
    // range, and the scalings by 2^q and 2^(64 j) are exact or overflow
    // where f e^w does. Was inf for every nonzero g above 89 (alpha 1e300 at
    // x = -500 with g = 2^-149 is 2^125). The driver's tiny-g scaling
    // overflows here too and retries with g as it is (kernels.cc,
    // BackwardRare).
    HWY_INLINE V<D> AboveExpMax(V<D> w, V<D> w_lo, V<D> f, V<D> over) const {
      using Tr = FloatTraits<T>;
      const V<D> k_hi = hn::Set(d, T(128) * Tr::kLn2Hi);
      const V<D> k_lo = hn::Set(d, T(128) * Tr::kLn2Lo);
      // (j = 2 from 88 + K on, so that w - jK <= 88 stays under the clamp.)
      const V<D> edge = hn::Set(d, Tr::kExpMax - T(1));
      const auto twice = hn::Gt(w, hn::Add(edge, k_hi));
      const auto beyond = hn::Gt(w, hn::MulAdd(hn::Set(d, T(2)), k_hi, edge));
      const V<D> two = hn::Set(d, T(2));
      const V<D> jk_hi = hn::IfThenElse(twice, hn::Mul(two, k_hi), k_hi);
      const V<D> jk_lo = hn::IfThenElse(twice, hn::Mul(two, k_lo), k_lo);
      V<D> ws_lo;
      const V<D> ws = TwoSum(d, w, hn::Neg(jk_hi), &ws_lo);
      ws_lo = hn::Add(ws_lo, hn::Sub(w_lo, jk_lo));
      const V<D> step = hn::Set(d, T(0x1p64f));
      const V<D> extra = hn::IfThenElse(twice, step, hn::Set(d, T(1)));
      // (Clamped to +-FLT_MAX: an inf f 2^(64 j) would give inf - inf = NaN
      // in MulExp's f + f pm1; the last scaling by 2^64 overflows anyway.)
      const V<D> max = hn::Set(d, std::numeric_limits<T>::max());
      const V<D> fs = hn::Min(hn::Max(hn::Mul(hn::Mul(f, step), extra), hn::Neg(max)), max);
      const V<D> r = hn::Mul(hn::Mul(ComputeExpParts(d, ws, ws_lo).MulExp(d, fs), extra), step);
      return hn::IfThenElse(beyond, over, r);
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
        w_lo = hn::Add(w_lo, log_alpha_lo);
        // Above w = 89 the exponential is clamped: f 2^381 there, inf but
        // for f = 0 (finite g: the driver takes the others); for a g (not
        // Unit) AboveExpMax instead, where g f' can still be finite.
        const V<D> big = hn::Set(d, 0x1p127f);
        const V<D> over = hn::Mul(hn::Mul(hn::Mul(f, big), big), big);
        const auto above = hn::Gt(w, hn::Set(d, FloatTraits<T>::kExpMax));
        const V<D> product =
            hn::IfThenElse(above, over, ComputeExpParts(d, w, w_lo).MulExp(d, f));
        if constexpr (!kIsUnit<G>) {
          if (HWY_UNLIKELY(!hn::AllFalse(d, above))) {
            return hn::IfThenElse(above, AboveExpMax(w, w_lo, f, over), product);
          }
        }
        return product;
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
