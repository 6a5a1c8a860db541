// celu(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (Barron 2017).
#ifndef ACTIVATIONS_CELU_SPEC_H_
#define ACTIVATIONS_CELU_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kCeluParams[] = {
    {.name = "alpha",
     .default_value = 1.0,
     .valid_range = {.min = 0, .max = kInf},
     .description = "f approaches -alpha as x -> -inf; > 0 (PyTorch divides by "
                    "it), so that y > 0 exactly when x > 0"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
// x / alpha as q + ql (the remainder by fmal: exact), since exp turns an
// error of q into a relative error |q| times as large: rounded once, it cost
// the oracle 0.23 ULP of float64 at x / alpha = -518 (tools/mpfr_check,
// session 27).
inline long double CeluReference(long double x, const double* p) {
  if (x > 0) return x;
  // NaN as the plain formula gives it (certify's "from y" inputs keep their bits).
  if (std::isnan(x)) return p[0] * std::expm1(x / p[0]);
  const long double a = p[0], q = x / a, ql = std::fma(-q, a, x) / a;
  return a * (std::expm1(q) + std::exp(q) * ql);
}
inline long double CeluReferenceDerivative(long double x, const double* p) {
  if (std::isnan(x)) return x;
  if (x > 0) return 1;
  const long double a = p[0], q = x / a, ql = std::fma(-q, a, x) / a;
  return std::exp(q) * (1 + ql);
}
inline long double CeluReferenceFromOutput(long double y, const double* p) {
  if (std::isnan(y)) return y;
  return y > 0 ? 1 : (y + p[0]) / p[0];
}
inline constexpr ActivationSpec kCeluSpec{
    .name = "celu",
    .formula = "f(x) = x if x > 0 else alpha * (exp(x / alpha) - 1)",
    .derivative_formula = "f'(x) = 1 if x > 0 else exp(x / alpha) (= f(x) / alpha + 1)",
    .params = kCeluParams,
    .output_range = {.min = -1, .max = kInf},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    // float32 lanes since session 21 (0.501 in float64 lanes before):
    // certify --stride=257, AVX3: forward 0.74, f' 0.59, backward 0.59, from
    // y 0.5 / 0.5 (docs/accuracy.md).
    .ulp_float32 = {.forward = 0.8, .derivative = 0.65, .backward = 0.65, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 3, .derivative = 3, .backward = 3, .derivative_from_output = 3,
                    .backward_from_output = 3},
    .notes = "Continuously differentiable for every alpha (f'(0) = 1 from both "
             "sides). x / alpha is formed with its remainder, so its rounding is "
             "not amplified by exp (40 ULP at x / alpha = -80 otherwise); from "
             "the output, f' = (y + alpha) / alpha, exact where it cancels. "
             "float32 is computed in float32 lanes (FMA targets, alpha in "
             "[2^-60, 2^60]; float64 lanes outside), as hi + lo pairs.",
    .reference = {&CeluReference, &CeluReferenceDerivative, &CeluReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = alpha.
struct CeluNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    const T alpha = static_cast<T>(p[0]);
    return x > T(0) ? x : alpha * (std::exp(x / alpha) - T(1));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > T(0) ? T(1) : std::exp(x / static_cast<T>(p[0]));
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_CELU_SPEC_H_

#if defined(ACTIVATIONS_CELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_CELU_INL_H_
#undef ACTIVATIONS_CELU_INL_H_
#else
#define ACTIVATIONS_CELU_INL_H_
#endif
#include <algorithm>
#include <cmath>
#include <limits>

#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Celu {
  // float32: on FMA targets in float32 lanes with x / alpha, alpha, 1 /
  // alpha and e^q - 1 as hi + lo pairs (FloatKernel, FastFloatKernel at
  // alpha = 1; float64 lanes for alpha outside [2^-60, 2^60]: the rare
  // kernel), elsewhere through the driver's float64 path (Generic),
  // rounded once.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  static constexpr bool kFloatFromOutputViaDouble = kFloatViaDouble;

  template <class D>
  struct Generic {
    using T = hn::TFromD<D>;
    D d;
    // x / alpha is computed as (x s) / (alpha s), s a power of two: 1 but
    // for alpha below 2^-960 (float64), where 1 / alpha would overflow and
    // the product q alpha underflow, and above 2^960, where splitting alpha
    // for the exact product overflows (targets without FMA). s = 2^600
    // (2^-600) puts alpha s well inside the normal range and changes no
    // quotient: x s is exact, or overflows to -inf where x / alpha is below
    // -2^1000 anyway, or underflows only where |x / alpha| < 2^-60 and f = x
    // (Value).
    static double ScaleFor(double alpha) {
      return alpha < 0x1p-960 ? 0x1p600 : alpha > 0x1p960 ? 0x1p-600 : 1;
    }
    V<D> alpha, scale, alpha_s, inv_alpha_s, tiny;
    Generic(D d_in, const ParamValues& p)
        : d(d_in),
          alpha(hn::Set(d_in, static_cast<T>(p[0]))),
          scale(hn::Set(d_in, static_cast<T>(ScaleFor(p[0])))),
          alpha_s(hn::Set(d_in, static_cast<T>(p[0] * ScaleFor(p[0])))),
          inv_alpha_s(hn::Set(d_in, static_cast<T>(1 / (p[0] * ScaleFor(p[0]))))),
          tiny(hn::Set(d_in, static_cast<T>(p[0] * 0x1p-60))) {}

    // ExpParts of x / alpha for x <= 0, as q + q_lo: q = x / alpha rounded,
    // q_lo = (x - q alpha) / alpha from the exact product q alpha = h + l
    // (x - h is exact: h is within a rounding of x, Sterbenz). x itself is
    // not clamped (with alpha = 1e300, x = -1e300 is an ordinary input);
    // where q is below -2^1000 (or -inf) e^q is 0 and q_lo is dropped, so
    // no inf - inf reaches it.
    HWY_INLINE ExpParts<D> NegativePart(V<D> x) const {
      x = hn::Mul(hn::Min(x, hn::Zero(d)), scale);
      const V<D> q = hn::Div(x, alpha_s);
      V<D> l;
      const V<D> h = TwoProduct(d, q, alpha_s, &l);
      const V<D> q_lo = hn::Mul(hn::Sub(hn::Sub(x, h), l), inv_alpha_s);
      const auto ordinary = hn::Gt(q, hn::Set(d, static_cast<T>(-0x1p1000)));
      return ComputeExpParts(d, ClampHuge(d, q), hn::IfThenElseZero(ordinary, q_lo));
    }
    struct State {
      hn::Mask<D> pos;
      hn::Mask<D> linear;  // |x / alpha| < 2^-60: f = x (x / alpha may underflow)
      ExpParts<D> e;       // of min(x, 0) / alpha
    };
    HWY_INLINE State Prepare(V<D> x) const {
      return {hn::Gt(x, hn::Zero(d)), hn::Lt(hn::Abs(x), tiny), NegativePart(x)};
    }
    // alpha (e^(x / alpha) - 1) = x (1 + x / (2 alpha) + ...): x itself
    // where x / alpha is below 2^-60 (within 2^-61 relative).
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      return hn::IfThenElse(hn::Or(s.pos, s.linear), x, hn::Mul(alpha, s.e.Expm1NonPositive(d)));
    }
    // g e^(x / alpha) with g multiplied in before the scaling by 2^q.
    HWY_INLINE V<D> Slope(const State& s, V<D>, Unit) const {
      return hn::IfThenElse(s.pos, hn::Set(d, 1), s.e.Exp(d));
    }
    HWY_INLINE V<D> Slope(const State& s, V<D>, V<D> g) const {
      return hn::IfThenElse(s.pos, g, s.e.MulExp(d, g));
    }
    // (y + alpha) / alpha: the sum is exact where it cancels (y near
    // -alpha, Sterbenz), so one rounding each.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      return Times(d, g,
                   hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Set(d, 1),
                                  hn::Div(hn::Add(y, alpha), alpha)));
    }
  };

  // float32 in float32 lanes (session 21, kernels20) for alpha in [2^-60,
  // 2^60] (UseRareKernel): alpha and 1 / alpha as float32 pairs hi + lo
  // (from float64: 2^-53), q = x / alpha as q_hi + q_lo (q_hi = x (1 /
  // alpha)_hi within 1.5 ULP, q_lo = (x - q_hi alpha) / alpha from the FMA
  // residual: the quotient's rounding is not amplified by exp),
  // e^q - 1 as h + l (Expm1NonPositiveHiLo) and alpha (h + l) one FMA of
  // the pairs (MulConstHiLo): about half an ULP. f = x where |x| < alpha
  // 2^-30 (alpha (e^q - 1) = x (1 + q / 2 + ...), within 2^-31; q itself
  // may be subnormal below). f' = e^q (1 + pm1) rounded once before 2^q
  // (MulExpHiLo, g multiplied in first); from y, (y + alpha) / alpha as
  // (y + alpha)_hi,lo times (1 / alpha)_hi,lo, exact where the sum cancels.
  // The range keeps every pair's low part normal and 1 / alpha, alpha 2^30
  // and x / alpha's residual finite.
  template <class DF>
  struct FloatKernel {
    DF d;
    V<DF> alpha_hi, alpha_lo, inv_hi, inv_lo;
    V<DF> linear_above;  // -alpha 2^-30: f = x above (x > 0 too)
    V<DF> y_floor;       // -2^30 alpha: AddConstHiLo's clamp
    // From y: s (1 / alpha) as a pair and 1 / s, s = FromOutputScale (below).
    V<DF> inv_s_hi, inv_s_lo, unscale;
    // From y, g / alpha is formed as an exact pair; for alpha from 2^17 on it
    // is g s / alpha, s = 2^(floor(log2 alpha) - 16) (up to 2^44), and the
    // result is scaled back by 1 / s once: g (1 / alpha)'s low part was
    // subnormal for |g| below about alpha 2^-102, not tiny for the driver
    // (kernels.cc, BackwardRare, 2^-80) at alpha above 2^22 (0.55 ULP at
    // alpha = 1.57e13, 182 ULP at 9.2e16: docs/accuracy.md, session 30). The
    // same bits wherever no intermediate was subnormal before (s is a power
    // of two): g s / alpha >= g 2^-17 keeps the pair normal for every g the
    // kernel sees (>= 2^-80, or the driver's scaled tiny g). |g s (y + alpha)
    // / alpha| <= 2^64 2^44 for y in f's range [-alpha, inf); below -2^20
    // alpha (no output of f), a result above FLT_MAX 2^-44 overflows.
    static double FromOutputScale(double alpha) {
      return std::ldexp(1.0, std::max(0, std::ilogb(alpha) - 16));
    }
    // alpha and 1 / alpha as nearest pairs (SplitNearest).
    FloatKernel(DF d_in, const ParamValues& p)
        : d(d_in),
          alpha_hi(hn::Set(d_in, SplitNearest<float>(p[0]).hi)),
          alpha_lo(hn::Set(d_in, SplitNearest<float>(p[0]).lo)),
          inv_hi(hn::Set(d_in, SplitNearest<float>(1 / p[0]).hi)),
          inv_lo(hn::Set(d_in, SplitNearest<float>(1 / p[0]).lo)),
          linear_above(hn::Set(d_in, static_cast<float>(-p[0] * 0x1p-30))),
          y_floor(hn::Set(d_in, static_cast<float>(-p[0] * 0x1p30))),
          inv_s_hi(hn::Set(d_in, static_cast<float>(SplitNearest<float>(1 / p[0]).hi *
                                                   FromOutputScale(p[0])))),
          inv_s_lo(hn::Set(d_in, static_cast<float>(SplitNearest<float>(1 / p[0]).lo *
                                                   FromOutputScale(p[0])))),
          unscale(hn::Set(d_in, static_cast<float>(1 / FromOutputScale(p[0])))) {}

    struct State {
      hn::Mask<DF> pos;
      ExpParts<DF> e;  // of min(x, 0) / alpha
    };
    // x / alpha = q + q_lo: q within 1.5 ULP of it (1 / alpha rounded, then
    // the product), so the residual x - q alpha_hi is exact or within 2^-24
    // of itself (one FMA), and alpha_lo's share comes off it. Where q
    // overflows to -inf (|x| (1 / alpha) above FLT_MAX) or is below the
    // exponential's clamp, ComputeExpParts drops q_lo (then NaN or huge).
    HWY_INLINE State Prepare(V<DF> x) const {
      const V<DF> xn = hn::Min(x, hn::Zero(d));
      const V<DF> q = hn::Mul(xn, inv_hi);
      const V<DF> res = hn::NegMulAdd(q, alpha_lo, hn::NegMulAdd(q, alpha_hi, xn));
      return {hn::Gt(x, hn::Zero(d)),
              ComputeExpPartsNonPositive(d, q, hn::Mul(res, inv_hi))};
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF> x) const {
      V<DF> l;
      const V<DF> h = Expm1NonPositiveHiLo(d, s.e, &l);
      return hn::IfThenElse(hn::Gt(x, linear_above), x, MulConstHiLo(d, alpha_hi, alpha_lo, h, l));
    }
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, Unit) const {
      const V<DF> one = hn::Set(d, 1);
      return hn::IfThenElse(s.pos, one, MulExpHiLo(s.e, one));
    }
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, V<DF> g) const {
      return hn::IfThenElse(s.pos, g, MulExpHiLo(s.e, g));
    }
    // (y + alpha) / alpha = (hi + lo)(inv_hi + inv_lo), g folded into the
    // reciprocal first as an exact pair (g finite: kernels.cc BackwardOf),
    // times s and scaled back where kScaled (above).
    // y = -inf gives hi = -inf: the low products take hi clamped, so the
    // result is -inf (times g's sign), not inf - inf.
    template <class G>
    HWY_INLINE V<DF> SlopeFromOutput(V<DF> y, G g) const {
      return SlopeFromOutputScaled<true>(y, g);
    }
    template <bool kScaled, class G>
    HWY_INLINE V<DF> SlopeFromOutputScaled(V<DF> y, G g) const {
      V<DF> lo;
      const V<DF> hi = AddConstHiLo(d, alpha_hi, alpha_lo, y, y_floor, &lo);
      const V<DF> hc = hn::Max(hi, y_floor);
      V<DF> a = inv_hi, a_lo = inv_lo, pos;
      if constexpr (kIsUnit<G>) {
        pos = hn::Set(d, 1);
      } else {
        a = TwoProduct(d, g, kScaled ? inv_s_hi : inv_hi, &a_lo);
        a_lo = hn::MulAdd(g, kScaled ? inv_s_lo : inv_lo, a_lo);
        pos = g;
      }
      V<DF> neg = hn::MulAdd(a, hi, hn::MulAdd(a_lo, hc, hn::Mul(a, lo)));
      if constexpr (kScaled && !kIsUnit<G>) neg = hn::Mul(neg, unscale);
      return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), pos, neg);
    }
  };

  // alpha = 1 (PyTorch's default, UseFastKernel): x / alpha = x exactly, so
  // no residual, no q_lo and no linear region (e^x - 1 = h + l is x itself
  // for tiny x), and alpha (h + l) is h + l rounded once. f' and from y as
  // FloatKernel (its pairs are then 1 and 0).
  template <class DF>
  struct FastFloatKernel : FloatKernel<DF> {
    using Base = FloatKernel<DF>;
    using typename Base::State;
    using Base::d;
    FastFloatKernel(DF d_in, const ParamValues& p) : Base(d_in, p) {}
    // alpha = 1: s = 1, nothing to scale back.
    template <class G>
    HWY_INLINE V<DF> SlopeFromOutput(V<DF> y, G g) const {
      return Base::template SlopeFromOutputScaled<false>(y, g);
    }
    HWY_INLINE State Prepare(V<DF> x) const {
      return {hn::Gt(x, hn::Zero(d)), ComputeExpPartsNonPositive(d, hn::Min(x, hn::Zero(d)))};
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF> x) const {
      V<DF> l;
      const V<DF> h = Expm1NonPositiveHiLo(d, s.e, &l);
      return hn::IfThenElse(s.pos, x, hn::Add(h, l));
    }
  };

  // The rare kernel (session 21; the float32 kernel before): alpha outside
  // [2^-60, 2^60], in float64 lanes to float32's needs (math-inl.h): x / alpha as
  // x (1 / alpha) (relative error 2^-52, amplified by exp to at most 2^-44
  // where e^(x / alpha) is still a normal float32), e^q - 1 = 2^k pm1 +
  // (2^k - 1) with a 2^-42 polynomial, each result rounded once to float32.
  //
  // Extreme alpha (float64 numbers beyond float32's range): 1 / alpha is
  // capped at DBL_MAX, so x = 0 gives q = 0 and not 0 * inf = NaN for alpha
  // below 2^-1024 (any other float32 x then gives |q| > 1e263: e^q is 0
  // either way); f = x where |x| < alpha 2^-60 (alpha (e^q - 1) = x (1 +
  // q / 2 + ...)), as x / alpha underflows in float64 for alpha above ~1e270
  // and 1 / alpha is subnormal above 4.5e307 (every finite float32 x is in
  // that linear region from alpha = 4e56 on).
  //
  // From y, (y + alpha) / alpha is formed as (y s + alpha s) (1 / (alpha s))
  // with s = 2^600 for alpha below 2^-960 (else 1: the same bits as y +
  // alpha), so that 1 / (alpha s) stays finite: with 1 / alpha capped, y =
  // 0 gave 2^-6 instead of 1 at alpha = 2^-1030. y s is exact, y s + alpha
  // s one FMA.
  template <class DF>
  struct WideFloatKernel {
    using DW = WideHalf<DF>;
    static double FromOutputScale(double alpha) { return alpha < 0x1p-960 ? 0x1p600 : 1; }
    DF d;
    DW dw;
    V<DW> alpha, inv_alpha;
    V<DW> y_scale, alpha_s, inv_alpha_s;  // s, alpha s, 1 / (alpha s) (from y)
    V<DF> linear_above;  // -alpha 2^-60 in float32 (-inf above FLT_MAX 2^60)
    WideFloatKernel(DF d_in, const ParamValues& p)
        : WideFloatKernel(d_in, p[0], FromOutputScale(p[0])) {}
    WideFloatKernel(DF d_in, double a, double s)
        : d(d_in),
          alpha(hn::Set(dw, a)),
          inv_alpha(hn::Set(dw, std::min(1 / a, std::numeric_limits<double>::max()))),
          y_scale(hn::Set(dw, s)),
          alpha_s(hn::Set(dw, a * s)),
          inv_alpha_s(hn::Set(dw, 1 / (a * s))),
          linear_above(hn::Set(d_in, static_cast<float>(-a * 0x1p-60))) {}

    struct State {
      hn::Mask<DF> pos;
      ExpForFloat<DW> lo, hi;  // of min(x, 0) / alpha, per half
    };
    HWY_INLINE State Prepare(V<DF> x) const {
      const Halves<DF> h = PromoteHalves(d, hn::Min(x, hn::Zero(d)));
      return {hn::Gt(x, hn::Zero(d)), ExpNonPositiveForFloatTable(dw, hn::Mul(h.lo, inv_alpha)),
              ExpNonPositiveForFloatTable(dw, hn::Mul(h.hi, inv_alpha))};
    }
    // x > -alpha 2^-60 covers x > 0 too: one comparison, as before.
    HWY_INLINE V<DF> Value(const State& s, V<DF> x) const {
      return hn::IfThenElse(hn::Gt(x, linear_above), x,
                            DemoteHalves(d, hn::Mul(alpha, s.lo.Expm1(dw)),
                                         hn::Mul(alpha, s.hi.Expm1(dw))));
    }
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, Unit) const {
      return hn::IfThenElse(s.pos, hn::Set(d, 1), DemoteHalves(d, s.lo.Exp(), s.hi.Exp()));
    }
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, V<DF> g) const {
      const Halves<DF> gh = PromoteHalves(d, g);
      return hn::IfThenElse(s.pos, g, DemoteHalves(d, s.lo.MulExp(gh.lo), s.hi.MulExp(gh.hi)));
    }
    // (y + alpha) / alpha = (y s + alpha s) (1 / (alpha s)): the sum exact
    // where it cancels (Sterbenz), else within 2^-53.
    template <class G>
    HWY_INLINE V<DF> SlopeFromOutput(V<DF> y, G g) const {
      const Halves<DF> h = PromoteHalves(d, y);
      return hn::IfThenElse(
          hn::Gt(y, hn::Zero(d)), Times(d, g, hn::Set(d, 1)),
          DemoteTimes(d, g, hn::Mul(hn::MulAdd(h.lo, y_scale, alpha_s), inv_alpha_s),
                      hn::Mul(hn::MulAdd(h.hi, y_scale, alpha_s), inv_alpha_s)));
    }
  };

  // alpha outside [2^-60, 2^60] (float32 lanes only; chosen once per call,
  // kernels.cc RunInType): the float64-lane kernel.
  template <typename T>
  static bool UseRareKernel(const ParamValues& p) {
    return sizeof(T) == 4 && !(p[0] >= 0x1p-60 && p[0] <= 0x1p60);
  }
  template <class D>
  using Kernel = KernelInWideLanes<D, FloatKernel, Generic>;
  template <class D>
  using RareKernel = KernelInWideLanes<D, WideFloatKernel, Generic>;
  static bool UseFastKernel(const ParamValues& p) { return p[0] == 1; }
  template <class D>
  using FastKernel = KernelInWideLanes<D, FastFloatKernel, Generic>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_CELU_INL_H_
