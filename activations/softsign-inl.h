// softsign(x) = x / (1 + |x|) (Turian et al. 2009).
#ifndef ACTIVATIONS_SOFTSIGN_SPEC_H_
#define ACTIVATIONS_SOFTSIGN_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double SoftsignReference(long double x, const double*) {
  return x / (1 + std::fabs(x));
}
inline long double SoftsignReferenceDerivative(long double x, const double*) {
  const long double s = 1 + std::fabs(x);
  return 1 / (s * s);
}
inline long double SoftsignReferenceFromOutput(long double y, const double*) {
  const long double s = 1 - std::fabs(y);
  return s * s;
}
inline constexpr ActivationSpec kSoftsignSpec{
    .name = "softsign",
    .formula = "f(x) = x / (1 + |x|)",
    .derivative_formula = "f'(x) = 1 / (1 + |x|)^2 = (1 - |f(x)|)^2",
    .params = {},
    .output_range = {.min = -1, .max = 1},
    .properties = {.bounded_below = true, .bounded_above = true, .smooth = true,
                   .monotonic = true, .zero_centered = true, .saturating = true},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 4, .derivative = 4, .backward = 4, .derivative_from_output = 4,
                    .backward_from_output = 4},
    .notes = "Saturates polynomially, not exponentially: f'(x) ~ 1/x^2. f(+-inf) "
             "= +-1, f'(+-inf) = 0. From the output, f' = (1 - |y|)^2, where 1 - "
             "|y| is exact for |y| >= 1/2. float32 is computed in float64 and "
             "rounded once.",
    .reference = {&SoftsignReference, &SoftsignReferenceDerivative,
                  &SoftsignReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct SoftsignNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x / (T(1) + std::fabs(x));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T s = T(1) + std::fabs(x);
    return T(1) / (s * s);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SOFTSIGN_SPEC_H_

#if defined(ACTIVATIONS_SOFTSIGN_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SOFTSIGN_INL_H_
#undef ACTIVATIONS_SOFTSIGN_INL_H_
#else
#define ACTIVATIONS_SOFTSIGN_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Softsign {
  // float32 in float64: two or three roundings become one; from y too
  // (natively (1 - |y|)^2 times g reaches 3.0 ULP). On FMA targets inside
  // the float32 loop (FloatKernel), elsewhere through the driver's float64
  // path (Generic).
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  static constexpr bool kFloatFromOutputViaDouble = kFloatViaDouble;

  template <class D>
  struct Generic {
    D d;
    Generic(D d_in, const ParamValues&) : d(d_in) {}

    // s = 1 + |x|, x clamped to a huge finite value: +-inf / inf would be
    // NaN, and 1e300 / (1 + 1e300) is 1.
    using State = V<D>;
    HWY_INLINE State Prepare(V<D> x) const {
      return hn::Add(hn::Set(d, 1), hn::Abs(ClampHuge(d, x)));
    }
    HWY_INLINE V<D> Value(const State& s, V<D> x) const { return hn::Div(ClampHuge(d, x), s); }
    // g / s^2 (g folded in: one rounding fewer than g * (1 / s^2)), or
    // g / s / s where s^2 overflows (|x| > 1e154 in float64) and f' is
    // still a subnormal.
    HWY_INLINE V<D> DivSquare(V<D> g, V<D> s) const {
      const V<D> s2 = hn::Mul(s, s);
      return hn::IfThenElse(hn::IsFinite(s2), hn::Div(g, s2), hn::Div(hn::Div(g, s), s));
    }
    HWY_INLINE V<D> Slope(const State& s, V<D>, Unit) const { return DivSquare(hn::Set(d, 1), s); }
    HWY_INLINE V<D> Slope(const State& s, V<D>, V<D> g) const { return DivSquare(g, s); }
    // (1 - |y|)^2: 1 - |y| is exact for |y| >= 1/2 (Sterbenz).
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      const V<D> s = hn::Sub(hn::Set(d, 1), hn::Abs(y));
      return Times(d, g, hn::Mul(s, s));
    }
  };

  // float32 in float64 lanes to float32's needs (math-inl.h): r = 1 / (1 +
  // |x|) to 2^-52 without a division, f = x r, f' = r^2, each rounded once
  // to float32. x is clamped to +-FLT_MAX so that +-inf gives f = +-1 and
  // f' = 0 (r^2 <= 2^-256 in float64, so g r^2 is 0 in float32 for every
  // finite g beyond there; clamped to kHuge = 1e30, r^2 = 1e-60 made
  // g = 2^64 give 1.8e-41 at x = FLT_MAX, where g f' is 1.6e-58).
  template <class DF>
  struct FloatKernel {
    using DW = WideHalf<DF>;
    DF d;
    DW dw;
    FloatKernel(DF d_in, const ParamValues&) : d(d_in) {}

    struct State {
      Halves<DF> x;  // clamped
      V<DW> r_lo, r_hi;
    };
    HWY_INLINE State Prepare(V<DF> x) const {
      const V<DF> k = hn::Set(d, std::numeric_limits<float>::max());
      const Halves<DF> h = PromoteHalves(d, hn::Min(hn::Max(x, hn::Neg(k)), k));
      const V<DW> one = hn::Set(dw, 1.0);
      return {h, ReciprocalForFloat(dw, hn::Add(one, hn::Abs(h.lo))),
              ReciprocalForFloat(dw, hn::Add(one, hn::Abs(h.hi)))};
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF>) const {
      return DemoteHalves(d, hn::Mul(s.x.lo, s.r_lo), hn::Mul(s.x.hi, s.r_hi));
    }
    template <class G>
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, G g) const {
      return DemoteTimes(d, g, hn::Mul(s.r_lo, s.r_lo), hn::Mul(s.r_hi, s.r_hi));
    }
    // (1 - |y|)^2: 1 - |y| is exact in float64 for |y| >= 2^-30.
    template <class G>
    HWY_INLINE V<DF> SlopeFromOutput(V<DF> y, G g) const {
      const Halves<DF> h = PromoteHalves(d, y);
      const V<DW> one = hn::Set(dw, 1.0);
      const V<DW> s_lo = hn::Sub(one, hn::Abs(h.lo)), s_hi = hn::Sub(one, hn::Abs(h.hi));
      return DemoteTimes(d, g, hn::Mul(s_lo, s_lo), hn::Mul(s_hi, s_hi));
    }
  };

  // AVX-512 float32 in float32 lanes (session 23): 16 lanes a vector where
  // FloatKernel has two halves of 8 float64 lanes and six conversions.
  // 1 + |x| = s + s_lo exactly (Fast2Sum of max(|x|, 1) and min(|x|, 1));
  // r = 1 / s to 2^-28 (VRCP14PS and one Newton step). f = |x| / (s +
  // s_lo): q0 = |x| r, its residual |x| - q0 s - q0 s_lo (the first FMA
  // exact, the second rounded at 2^-24 of a residual that is 2^-27 of
  // |x|), and f = q0 + residual r, rounded once: about 2^-50 of f before
  // that rounding, so it is f correctly rounded but within about 2^-26 ULP
  // of a tie, as FloatKernel's is but within 2^-29 ULP: the two may differ
  // on such inputs (none of 2^22 in a harness, none at stride 257; see
  // docs/benchmarks.md, session 23, for the stride-1 count).
  // g f' = g / (s + s_lo)^2 likewise: S + S_lo = (s + s_lo)^2 to 2^-48 (S =
  // s^2, S_lo its FMA residual plus 2 s s_lo), R = r^2 (2^-24), q0 = g R,
  // its residual q0 S + q0 S_lo - g, and g f' = q0 - residual R (in this
  // order, so that g = -0 gives -0). Where |x| > 2^40 (S beyond 2^80, and
  // 1 / S below float32's normal range for larger |x|) the vector's slope
  // takes FloatKernel (out of line); |x| is clamped at 2^60 (the forward's
  // +-inf gives +-1). From y: FloatKernel's.
  template <class DF>
  struct Native16 {
    DF d;
    FloatKernel<DF> wide;
    Native16(DF d_in, const ParamValues& p) : d(d_in), wide(d_in, p) {}

    struct State {
      V<DF> ax;       // |x|, clamped at 2^60
      V<DF> s, s_lo;  // 1 + ax = s + s_lo exactly
      V<DF> r;        // 1 / s to 2^-28
    };
    HWY_INLINE State Prepare(V<DF> x) const {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      const V<DF> one = hn::Set(d, 1.0f);
      const V<DF> ax = hn::Min(hn::Abs(x), hn::Set(d, 0x1p60f));
      const V<DF> m = hn::Max(ax, one), n = hn::Min(ax, one);
      const V<DF> s = hn::Add(m, n);
      const V<DF> s_lo = hn::Sub(n, hn::Sub(s, m));
      V<DF> r{_mm512_rcp14_ps(s.raw)};
      r = hn::MulAdd(r, hn::NegMulAdd(s, r, one), r);
      return {ax, s, s_lo, r};
#else
      return {x, x, x, x};  // (never picked: kWideLanes512)
#endif
    }
    HWY_INLINE V<DF> Value(const State& st, V<DF> x) const {
      const V<DF> q0 = hn::Mul(st.ax, st.r);
      const V<DF> res = hn::NegMulAdd(q0, st.s_lo, hn::NegMulAdd(q0, st.s, st.ax));
      return hn::CopySignToAbs(hn::MulAdd(res, st.r, q0), x);
    }
    template <class G>
    HWY_INLINE V<DF> Slope(const State& st, V<DF> x, G g) const {
      if (HWY_UNLIKELY(!hn::AllFalse(d, hn::Gt(st.ax, hn::Set(d, 0x1p40f))))) {
        return SlopeWide(x, g);
      }
      const V<DF> S = hn::Mul(st.s, st.s);
      const V<DF> S_lo = hn::MulAdd(hn::Add(st.s, st.s), st.s_lo, hn::MulSub(st.s, st.s, S));
      const V<DF> R = hn::Mul(st.r, st.r);
      V<DF> q0, num;
      if constexpr (kIsUnit<G>) {
        q0 = R;
        num = hn::Set(d, 1.0f);
      } else {
        q0 = hn::Mul(g, R);
        num = g;
      }
      const V<DF> nres = hn::MulAdd(q0, S_lo, hn::MulSub(q0, S, num));
      return hn::NegMulAdd(nres, R, q0);
    }
    template <class G>
    HWY_NOINLINE V<DF> SlopeWide(V<DF> x, G g) const {
      return wide.Slope(wide.Prepare(x), x, g);
    }
    template <class G>
    HWY_INLINE V<DF> SlopeFromOutput(V<DF> y, G g) const {
      return wide.SlopeFromOutput(y, g);
    }
  };

  template <class D>
  using Kernel = std::conditional_t<kWideLanes512 && sizeof(hn::TFromD<D>) == 4 && hn::MaxLanes(D()) == 16,
                                    Native16<D>, KernelInWideLanes<D, FloatKernel, Generic>>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SOFTSIGN_INL_H_
