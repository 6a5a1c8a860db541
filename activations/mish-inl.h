// mish(x) = x * tanh(softplus(x)) (Misra 2019).
#ifndef ACTIVATIONS_MISH_SPEC_H_
#define ACTIVATIONS_MISH_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double MishSoftplus(long double x) {
  return std::fmax(x, 0.0L) + std::log1p(std::exp(-std::fabs(x)));
}
inline long double MishReference(long double x, const double*) {
  return x * std::tanh(MishSoftplus(x));
}
inline long double MishReferenceDerivative(long double x, const double*) {
  const long double sp = MishSoftplus(x);
  const long double c = std::cosh(sp);
  return std::tanh(sp) + x / ((1 + std::exp(-x)) * c * c);
}
inline constexpr ActivationSpec kMishSpec{
    .name = "mish",
    .formula = "f(x) = x * tanh(log(1 + exp(x)))",
    .derivative_formula =
        "f'(x) = tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2), sp = log(1 + exp(x))",
    .params = {},
    .output_range = {.min = -0.30884341301725041, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 1, .derivative = 1, .backward = 1},
    .ulp_float64 = {.forward = 2, .derivative = 2, .backward = 3,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "tanh(softplus(x)) is the rational n / (n + 2) with n = e^x (e^x + 2), "
             "written in e = exp(-|x|) so nothing overflows and 1 - tanh^2 does not "
             "cancel. float32 is computed in float64 lanes and rounded once (FMA "
             "targets: plain float64 but for the bracket of f' near its zero; SSE4 and "
             "scalar: the float64 kernel). f'(x) = 0 at x = -1.1924 (float64: the "
             "bounds' derivative_near_zero exception).",
    .reference = {&MishReference, &MishReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct MishNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x * std::tanh(std::log1p(std::exp(x)));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T t = std::tanh(std::log1p(std::exp(x)));
    const T s = T(1) / (T(1) + std::exp(-x));
    return t + x * s * (T(1) - t * t);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_MISH_SPEC_H_

#if defined(ACTIVATIONS_MISH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_MISH_INL_H_
#undef ACTIVATIONS_MISH_INL_H_
#else
#define ACTIVATIONS_MISH_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Mish {
  // float32 in float64 lanes on FMA targets (FloatKernel below), through the
  // driver's float64 path elsewhere (Generic); rounded once either way.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  template <class D>
  struct Generic {
    D d;
    Generic(D d_in, const ParamValues&) : d(d_in) {}

    // tanh(softplus(x)) = N / Dd with t = exp(-|x|):
    //   x >= 0: N = 1 + 2t,       Dd = N + 2t^2,
    //           f' = (N Dd + 4x t^2 (1 + t)) / Dd^2  (all terms >= 0);
    //   x < 0:  N = t (t + 2),    Dd = N + 2,
    //           f' = t ((t + 2) Dd + 4x (1 + t)) / Dd^2,
    // whose bracket W cancels near the zero of f' (x = -1.1924). Every sum
    // and product is kept as hi + lo (TwoSum, TwoProduct), t's factor 2^q
    // is applied last for x < 0 (n = t 2^-q), and each quotient is one
    // corrected division.
    struct State {
      V<D> xc, n, t, dd, dd_lo, r;
      V<D> num, num_lo;  // N (x >= 0) or N 2^-q (x < 0)
      V<D> a, a_lo;      // t + 2
      V<D> one_t, one_t_lo, tt, tt_lo;
      hn::Mask<D> neg;
      ExpParts<D> parts;  // of -|x|
    };
    HWY_INLINE State Prepare(V<D> x) const {
      State s;
      s.xc = ClampHuge(d, x);
      s.neg = hn::Lt(s.xc, hn::Zero(d));
      s.parts = ComputeExpPartsNonPositive(d, hn::Neg(hn::Abs(s.xc)));
      s.n = s.parts.N(d);
      s.t = s.parts.Scale(s.n);
      const V<D> one = hn::Set(d, 1), two = hn::Set(d, 2);
      s.one_t = Fast2Sum<D>(one, s.t, &s.one_t_lo);
      s.a = Fast2Sum<D>(two, s.t, &s.a_lo);
      s.tt = TwoProduct(d, s.t, s.t, &s.tt_lo);
      // x >= 0.
      V<D> np_lo;
      const V<D> np = Fast2Sum<D>(one, hn::Add(s.t, s.t), &np_lo);
      V<D> dp_lo;
      const V<D> dp = Fast2Sum<D>(np, hn::Add(s.tt, s.tt), &dp_lo);
      dp_lo = hn::Add(dp_lo, hn::Add(np_lo, hn::Add(s.tt_lo, s.tt_lo)));
      // x < 0: N = t a, and N 2^-q = n a for the value's numerator.
      V<D> nn_lo;
      const V<D> nn = TwoProduct(d, s.t, s.a, &nn_lo);
      nn_lo = hn::MulAdd(s.t, s.a_lo, nn_lo);
      V<D> dn_lo;
      const V<D> dn = TwoSum(d, two, nn, &dn_lo);
      dn_lo = hn::Add(dn_lo, nn_lo);
      V<D> na_lo;
      const V<D> na = TwoProduct(d, s.n, s.a, &na_lo);
      na_lo = hn::MulAdd(s.n, s.a_lo, na_lo);
      s.num = hn::IfThenElse(s.neg, na, np);
      s.num_lo = hn::IfThenElse(s.neg, na_lo, np_lo);
      s.dd = hn::IfThenElse(s.neg, dn, dp);
      s.dd_lo = hn::IfThenElse(s.neg, dn_lo, dp_lo);
      s.r = Reciprocal(d, s.dd);
      return s;
    }
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      V<D> lo;
      const V<D> hi = TwoProduct(d, s.xc, s.num, &lo);
      lo = hn::MulAdd(s.xc, s.num_lo, lo);
      const V<D> y = s.parts.ScaleWhere(s.neg, DivideCorrected(d, hi, lo, s.dd, s.dd_lo, s.r));
      // Beyond kHuge (and at +inf), f = x.
      return hn::IfThenElse(hn::Gt(x, s.xc), x, y);
    }
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D>, G g) const {
      // 4x, exact; x clamped below at -kScaledFactorMax (where t = 0 and
      // f' = 0 anyway) so that g n W stays finite (math-inl.h).
      const V<D> x4 =
          hn::Mul(hn::Max(hn::Set(d, -kScaledFactorMax<hn::TFromD<D>>), s.xc), hn::Set(d, 4));
      // x >= 0: N Dd + 4x t^2 (1 + t).
      V<D> pa_lo;
      const V<D> pa = MulHiLo(d, s.num, s.num_lo, s.dd, s.dd_lo, &pa_lo);
      V<D> b1_lo;
      const V<D> b1 = MulHiLo(d, x4, s.tt, s.tt_lo, &b1_lo);
      V<D> b_lo;
      const V<D> b = MulHiLo(d, b1, b1_lo, s.one_t, s.one_t_lo, &b_lo);
      V<D> mp_lo;
      const V<D> mp = Fast2Sum<D>(pa, b, &mp_lo);
      mp_lo = hn::Add(mp_lo, hn::Add(pa_lo, b_lo));
      // x < 0: n ((t + 2) Dd + 4x (1 + t)).
      V<D> ad_lo;
      const V<D> ad = MulHiLo(d, s.a, s.a_lo, s.dd, s.dd_lo, &ad_lo);
      V<D> c_lo;
      const V<D> c = MulHiLo(d, x4, s.one_t, s.one_t_lo, &c_lo);
      V<D> w_lo;
      const V<D> w = TwoSum(d, ad, c, &w_lo);
      w_lo = hn::Add(w_lo, hn::Add(ad_lo, c_lo));
      V<D> mn_lo;
      const V<D> mn = MulHiLo(d, s.n, w, w_lo, &mn_lo);
      V<D> hi = hn::IfThenElse(s.neg, mn, mp);
      V<D> lo = hn::IfThenElse(s.neg, mn_lo, mp_lo);
      TimesHiLo(d, g, &hi, &lo);
      return s.parts.ScaleWhere(s.neg, DivideBySquare(d, hi, lo, s.dd, s.dd_lo, s.r));
    }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    // The derivative's and forward_and_derivative's pair hook (kernels.cc,
    // LoopFromXPairs; session 31): both states before either result.
    // AVX-512 only (measured there).
    HWY_INLINE void OrderPair(State& s0, State& s1) const { ComputedBefore(s0.r, s1.r); }
#endif
  };

  // float32 in float64 lanes, to float32's needs (math-inl.h): the float64
  // kernel above carries every sum and product as hi + lo (double-double),
  // which float32 does not need except in the bracket W of f' near its zero.
  // t = exp(-|x|) (ComputeExpPartsNonPositive in float64, t_lo its rounding
  // from NLo), then plainly, each quotient through VRCP14PD and two Newton
  // steps (ReciprocalForFloat, no VDIVPD):
  //   x >= 0: f = x N / Dd, N = 1 + 2t, Dd = N + 2t^2,
  //           f' = (N Dd + 4x t^2 (1 + t)) / Dd^2  (terms >= 0);
  //   x < 0:  f = x N / Dd, N = t (t + 2), Dd = N + 2,
  //           f' = t W / Dd^2, W = 4 (1 + x) + t (6 + 4x + t (4 + t))
  //           (= (t + 2) Dd + 4x (1 + t) expanded in t),
  // with 4 (1 + x) and 6 + 4x exact (x is a float) and t's rounding carried
  // into W by dW/dt t_lo: W's absolute error is a few 2^-53, against W ~ 6.4
  // (x - x0) at the zero x0 = -1.19243121 of f', whose nearest float lies
  // 3.0e-9 away: 0.1 ULP of float32 there, before the final rounding.
  // No scaling by 2^q: float64 holds t down to e^-745, where every float32
  // result has long become 0.
  template <class DF>
  struct FloatKernel {
    using DW = WideHalf<DF>;
    DF d;
    DW dw;
    FloatKernel(DF d_in, const ParamValues&) : d(d_in) {}

    struct Half {
      V<DW> x, t, t_lo;
      hn::Mask<DW> neg;
    };
    struct State {
      V<DF> xc;  // x clamped to +-kHuge
      Half lo, hi;
    };
    HWY_INLINE Half PrepareHalf(V<DW> x) const {
      const ExpParts<DW> parts = ComputeExpPartsNonPositive(dw, hn::Neg(hn::Abs(x)));
      return {x, parts.Exp(dw), parts.Scale(parts.NLo(dw)), hn::Lt(x, hn::Zero(dw))};
    }
    HWY_INLINE State Prepare(V<DF> x) const {
      const V<DF> xc = ClampHuge(d, x);
      const Halves<DF> h = PromoteHalves(d, xc);
      return {xc, PrepareHalf(h.lo), PrepareHalf(h.hi)};
    }
    // N / Dd for either sign.
    HWY_INLINE V<DW> TanhSoftplus(const Half& s) const {
      const V<DW> one = hn::Set(dw, 1.0), two = hn::Set(dw, 2.0);
      const V<DW> np = hn::MulAdd(two, s.t, one);
      const V<DW> nn = hn::Mul(s.t, hn::Add(s.t, two));
      const V<DW> num = hn::IfThenElse(s.neg, nn, np);
      const V<DW> den =
          hn::IfThenElse(s.neg, hn::Add(nn, two), hn::MulAdd(hn::Add(s.t, s.t), s.t, np));
      return hn::Mul(num, ReciprocalForFloat(dw, den));
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF> x) const {
      const V<DF> y = DemoteHalves(d, hn::Mul(s.lo.x, TanhSoftplus(s.lo)),
                                   hn::Mul(s.hi.x, TanhSoftplus(s.hi)));
      // Beyond kHuge (and at +inf), f = x.
      return hn::IfThenElse(hn::Gt(x, s.xc), x, y);
    }
    HWY_INLINE V<DW> SlopeHalf(const Half& s) const {
      const V<DW> one = hn::Set(dw, 1.0), two = hn::Set(dw, 2.0), four = hn::Set(dw, 4.0);
      const V<DW> x4 = hn::Mul(s.x, four);
      const V<DW> tt = hn::Mul(s.t, s.t);
      // x >= 0.
      const V<DW> np = hn::MulAdd(two, s.t, one);
      const V<DW> dp = hn::MulAdd(two, tt, np);
      const V<DW> pos = hn::MulAdd(np, dp, hn::Mul(hn::Mul(x4, tt), hn::Add(one, s.t)));
      // x < 0.
      const V<DW> six_x4 = hn::Add(x4, hn::Set(dw, 6.0));  // exact
      const V<DW> v = hn::MulAdd(s.t, hn::Add(s.t, four), six_x4);
      V<DW> w = hn::MulAdd(s.t, v, hn::Mul(four, hn::Add(one, s.x)));
      const V<DW> dw_dt = hn::MulAdd(s.t, hn::MulAdd(hn::Set(dw, 3.0), s.t, hn::Set(dw, 8.0)),
                                     six_x4);
      w = hn::MulAdd(s.t_lo, dw_dt, w);
      const V<DW> dn = hn::MulAdd(s.t, hn::Add(s.t, two), two);
      const V<DW> num = hn::IfThenElse(s.neg, hn::Mul(s.t, w), pos);
      const V<DW> r = ReciprocalForFloat(dw, hn::IfThenElse(s.neg, dn, dp));
      return hn::Mul(num, hn::Mul(r, r));
    }
    template <class G>
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, G g) const {
      return DemoteTimes(d, g, SlopeHalf(s.lo), SlopeHalf(s.hi));
    }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    // The derivative's and forward_and_derivative's pair hook (kernels.cc,
    // LoopFromXPairs; session 31): both states (their four exponentials)
    // before either result. AVX-512 only (measured there; 16 registers of
    // AVX2 not tried).
    HWY_INLINE void OrderPair(State& s0, State& s1) const {
      ComputedBefore(s0.lo.t_lo, s1.lo.t_lo);
      ComputedBefore(s0.hi.t_lo, s1.hi.t_lo);
    }
#endif
  };

  template <class D>
  using Kernel = KernelInWideLanes<D, FloatKernel, Generic>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_MISH_INL_H_
