// hardswish(x) = x * relu6(x + 3) / 6 (Howard et al. 2019, MobileNetV3).
#ifndef ACTIVATIONS_HARDSWISH_SPEC_H_
#define ACTIVATIONS_HARDSWISH_SPEC_H_
#include <algorithm>

#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double HardswishReference(long double x, const double*) {
  if (std::isnan(x)) return x;
  return x <= -3 ? 0 : (x >= 3 ? x : x * (x + 3) / 6);
}
inline long double HardswishReferenceDerivative(long double x, const double*) {
  if (std::isnan(x)) return x;
  return x < -3 ? 0 : (x > 3 ? 1 : (2 * x + 3) / 6);
}
inline constexpr ActivationSpec kHardswishSpec{
    .name = "hardswish",
    .formula = "f(x) = 0 if x <= -3, x if x >= 3, else x (x + 3) / 6",
    .derivative_formula = "f'(x) = 0 if x < -3, 1 if x > 3, else (2x + 3) / 6",
    .params = {},
    .output_range = {.min = -0.375, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = false,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501},
    .ulp_float64 = {.forward = 2, .derivative = 2, .backward = 2},
    .notes = "f' jumps at -3 and 3; there it takes PyTorch's values, f'(-3) = "
             "-1/2 and f'(3) = 3/2 (hardswish_backward uses x / 3 + 1 / 2 on "
             "[-3, 3]). Backward selects 0 below -3 for every g but NaN. f'(x) = 0 "
             "at x = -1.5, where (2x + 3) is exact, so f' keeps its relative "
             "precision there. float32 is rounded once: f and g f' from error-free "
             "float32 parts, f' in float64.",
    .reference = {&HardswishReference, &HardswishReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct HardswishNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x * std::min(std::max(x + T(3), T(0)), T(6)) / T(6);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    return x < T(-3) ? T(0) : (x <= T(3) ? x / T(3) + T(0.5) : T(1));
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_HARDSWISH_SPEC_H_

#if defined(ACTIVATIONS_HARDSWISH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_HARDSWISH_INL_H_
#undef ACTIVATIONS_HARDSWISH_INL_H_
#else
#define ACTIVATIONS_HARDSWISH_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
#include "activations/piecewise-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Hardswish {
  // x (x + 3) / 6 takes three roundings in the element type (1.5 ULP);
  // float32 needs one (0.5 ULP). On FMA targets: f and g f' from error-free
  // parts in float32 lanes, f' in float64 lanes (the kFloatInWideLanes
  // branches); elsewhere through the driver's float64 path.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  template <class D>
  struct Kernel {
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}
    // Value selects x itself where x is NaN (x < 3 is false), so the forward needs
    // no NaN restore (kernels.cc, ValueKeepsNaN).
    static constexpr bool kValueKeepsNaN = true;

    using State = NoState;
    HWY_INLINE State Prepare(V<D>) const { return {}; }
    HWY_INLINE V<D> Value(const State&, V<D> x) const {
      if constexpr (kFloatInWideLanes<D>) {
        // float32 (FMA): x (x + 3) / 6 from error-free parts, rounded once
        // after an error of about 2^-21 ULP. On (-3, 3), |x| <= 3: Fast2Sum
        // gives x + 3 = a + e exactly; x a = p + pe (FMA); q = p + pe + x e
        // to 2^-23 ulp(p); q / 6 = r0 + (p - 6 r0 + pe + x e) / 6, where
        // p - 6 r0 is exact (r0 is within an ulp of p / 6).
        // x <= -3 (and -inf) is computed as x = -3, where every part is a
        // zero and the result +0 (a = +0, p = -0, rem = +0 + -0 = +0, the
        // last FMA +0 + -0 = +0): one MAXPS in place of a compare and a
        // masked zeroing (session 23: 18 operations a vector instead of 19,
        // the same bits). A NaN x gives -3 too (MAXPS returns its second
        // operand), and the final select returns x itself there.
        const V<D> three = hn::Set(d, 3.0f);
        const V<D> sixth = hn::Set(d, 1.0f / 6);
        const V<D> xs = hn::Max(x, hn::Set(d, -3.0f));
        const V<D> a = hn::Add(xs, three);
        const V<D> e = hn::Sub(xs, hn::Sub(a, three));
        const V<D> p = hn::Mul(xs, a);
        const V<D> q_lo = hn::MulAdd(xs, e, hn::MulSub(xs, a, p));
        const V<D> r0 = hn::Mul(p, sixth);
        const V<D> rem = hn::NegMulAdd(r0, hn::Set(d, 6.0f), p);
        // (Near 0, where p, r0 and the residuals may be subnormal, they stay
        // exact: all are multiples of 2^-149, x's own last place, and small.)
        const V<D> mid = hn::MulAdd(hn::Add(rem, q_lo), sixth, r0);
        // x >= 3, or x NaN (x < 3 false): x.
        return hn::IfThenElse(hn::Lt(x, three), mid, x);
      } else {
        const V<D> mid = hn::Div(hn::Mul(x, hn::Add(x, hn::Set(d, 3))), hn::Set(d, 6));
        return hn::IfThenElse(hn::Lt(x, hn::Set(d, 3)),
                              hn::IfThenZeroElse(hn::Le(x, hn::Set(d, -3)), mid), x);
      }
    }
    // (2x + 3) / 6: 2x is exact, so the sum rounds once (and is exact near
    // its zero at -1.5). Times g: g itself above 3, 0 below -3 (the driver
    // gives 0 there for g = +-inf too, and NaN for a NaN g).
    template <class G>
    HWY_INLINE V<D> Slope(const State&, V<D> x, G g) const {
      if constexpr (kFloatInWideLanes<D> && !kIsUnit<G>) {
        return SlopeFloat(x, g);
      } else if constexpr (kFloatInWideLanes<D>) {
        return SlopeInWideLanes(x, g);
      } else {
        const V<D> mid = hn::Div(hn::Add(hn::Add(x, x), hn::Set(d, 3)), hn::Set(d, 6));
        return Times(d, g,
                     hn::IfThenElse(hn::Gt(x, hn::Set(d, 3)), hn::Set(d, 1),
                                    hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -3)), mid)));
      }
    }

    // float32 g f' (FMA targets; session 23): g (2x + 3) / 6 in float32
    // lanes, without the float64 route's six conversions a vector. 2x + 3 =
    // a + e exactly (e by one FMA: a - 3 is exact); g a = p + (g a - p), the
    // second term by FMA; lo = g e + (g a - p) rounded (2^-47 of p); r0 =
    // p / 6 rounded, t = (6 r0 - p) - lo (6 r0 - p exact; t rounded, 2^-45
    // of p); g f' = r0 - t / 6 by one FMA: about 2^-43 of itself before
    // its one rounding, so g f' is correctly rounded but within 2^-20 ULP of
    // a tie (halfway between two floats), where it may round either way:
    // an error of at most 0.5 + 2^-20 ULP, and a different float from the
    // float64 route's on those inputs (where g is a power of 2 and the tie
    // is exact, the float64 route gives the even neighbour and this one
    // either; the certificate's g are random). x > 3 is computed as x =
    // 1.5 (a = 6, g f' = g exactly); x < -3 selects 0 (+0, as before); a
    // NaN x gives NaN (the driver restores x). Where 0 < |g| < 2^-78 (p
    // could be below 2^-100, and its residuals subnormal) the vector takes
    // the float64 route. The derivative (g = 1) stays on the float64 route:
    // g = 1 makes exact ties common (2x + 3 has few digits), and there the
    // two differ.
    template <class G>
    HWY_INLINE V<D> SlopeFloat(V<D> x, G g) const {
      const hn::RebindToUnsigned<D> du;
      const V<D> three = hn::Set(d, 3.0f), two = hn::Set(d, 2.0f);
      const V<D> xs = hn::IfThenElse(hn::Gt(x, three), hn::Set(d, 1.5f), x);
      const V<D> a = hn::MulAdd(xs, two, three);
      const V<D> e = hn::MulSub(xs, two, hn::Sub(a, three));
      const V<D> p = hn::Mul(g, a);
      const V<D> lo = hn::MulAdd(g, e, hn::MulSub(g, a, p));
      const V<D> r0 = hn::Mul(p, hn::Set(d, 1.0f / 6));
      const V<D> t = hn::Sub(hn::MulSub(r0, hn::Set(d, 6.0f), p), lo);
      // 0 < |g| < 2^-78 as one unsigned compare of |g|'s bits minus 1.
      const auto gb = hn::BitCast(du, hn::Abs(g));
      const auto tiny = hn::Lt(hn::Sub(gb, hn::Set(du, 1u)), hn::Set(du, 0x18800000u - 1));
      if (HWY_UNLIKELY(!hn::AllFalse(du, tiny))) return SlopeInWideLanesOutOfLine(x, g);
      return hn::IfThenZeroElse(hn::Lt(x, hn::Neg(three)),
                                hn::NegMulAdd(t, hn::Set(d, 1.0f / 6), r0));
    }
    template <class G>
    HWY_NOINLINE V<D> SlopeInWideLanesOutOfLine(V<D> x, G g) const {
      return SlopeInWideLanes(x, g);
    }

    // float32: g (2x + 3) (1/6) in float64, rounded once to float32. 2x + 3
    // is one FMA (session 23; 2x is exact, so its two roundings were one
    // already: the same bits, two operations fewer a vector).
    template <class G>
    HWY_INLINE V<D> SlopeInWideLanes(V<D> x, G g) const {
      const WideHalf<D> dw;
      const Halves<D> h = PromoteHalves(d, x);
      auto f = [&](V<WideHalf<D>> v) HWY_ATTR {
        return hn::Mul(hn::MulAdd(v, hn::Set(dw, 2.0), hn::Set(dw, 3.0)), hn::Set(dw, 1.0 / 6));
      };
      const V<D> mid = DemoteTimes(d, g, f(h.lo), f(h.hi));
      return hn::IfThenElse(hn::Gt(x, hn::Set(d, 3)), Times(d, g, hn::Set(d, 1)),
                            hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -3)), mid));
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_HARDSWISH_INL_H_
