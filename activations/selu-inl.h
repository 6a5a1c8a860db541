// selu(x) = scale * (x if x > 0 else alpha * (exp(x) - 1)) (Klambauer et al.
// 2017), with PyTorch's fixed alpha and scale.
#ifndef ACTIVATIONS_SELU_SPEC_H_
#define ACTIVATIONS_SELU_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The constants of torch.nn.SELU's documentation (32 digits; the paper's
// fixed point for zero mean and unit variance).
inline constexpr long double kSeluAlpha = 1.6732632423543772848170429916717L;
inline constexpr long double kSeluScale = 1.0507009873554804934193349852946L;
// scale * alpha of those two decimals, exactly to 117 bits: the float64 hi
// and the rest in long double (64 bits; mpmath at 400 bits). The long double
// product kSeluScale * kSeluAlpha is 5e-20 off, harmless in f and f' (2^-65
// relative) but not in f' = y + scale * alpha from the output, where the sum
// cancels: near y = -scale * alpha (every x < -10 in float64) that error was
// up to 3e13 ULP of the result, in the kernel and in this oracle alike
// (session 27, found by tools/mpfr_check). The float64 kernel takes lo
// rounded to float64 (0x1.05161b045a1fep-56; it was 0x1.06p-56).
inline constexpr double kSeluScaleAlphaHi = 0x1.c212cc640f031p+0;
inline constexpr long double kSeluScaleAlphaLo = 0x828b0d822d0fecf2p-119L;
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double SeluReference(long double x, const double*) {
  return x > 0 ? kSeluScale * x : kSeluScale * kSeluAlpha * std::expm1(x);
}
inline long double SeluReferenceDerivative(long double x, const double*) {
  if (std::isnan(x)) return x;
  return x > 0 ? kSeluScale : kSeluScale * kSeluAlpha * std::exp(x);
}
inline long double SeluReferenceFromOutput(long double y, const double*) {
  if (std::isnan(y)) return y;
  // y + hi is exact near -hi (Sterbenz; y is a float32 or float64 value).
  return y > 0 ? kSeluScale : (y + kSeluScaleAlphaHi) + kSeluScaleAlphaLo;
}
inline constexpr ActivationSpec kSeluSpec{
    .name = "selu",
    .formula = "f(x) = scale * (x if x > 0 else alpha * (exp(x) - 1)), "
               "alpha = 1.6732632423543772, scale = 1.0507009873554805",
    .derivative_formula = "f'(x) = scale if x > 0 else scale * alpha * exp(x) "
                          "(= f(x) + scale * alpha)",
    .params = {},
    .output_range = {.min = -1.7580993408473766, .max = kInf},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    // float32 lanes since session 21 (0.501 in float64 lanes before);
    // session 29's shorter exponential chain, every float32 input, AVX3:
    // forward 0.59, f' 0.53, backward 0.56, from y 0.5 / 0.67
    // (docs/accuracy.md).
    .ulp_float32 = {.forward = 0.8, .derivative = 0.65, .backward = 0.65, .derivative_from_output = 0.501,
                    .backward_from_output = 0.75},
    .ulp_float64 = {.forward = 3, .derivative = 3, .backward = 3, .derivative_from_output = 3,
                    .backward_from_output = 3},
    .notes = "Not differentiable at 0 (f' jumps from scale * alpha to scale): "
             "f'(0) = scale * alpha, as PyTorch. The constants are applied as "
             "float64 pairs hi + lo, so their rounding does not show, also in "
             "f' = y + scale * alpha from the output near y = -scale * alpha. "
             "float32 is computed in float32 lanes (FMA targets), e^x - 1 "
             "and the constants as hi + lo pairs, each result one FMA.",
    .reference = {&SeluReference, &SeluReferenceDerivative, &SeluReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct SeluNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    const T scale = T(1.0507009873554805), alpha = T(1.6732632423543772);
    return x > T(0) ? scale * x : scale * alpha * (std::exp(x) - T(1));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T scale = T(1.0507009873554805), alpha = T(1.6732632423543772);
    return x > T(0) ? scale : scale * alpha * std::exp(x);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SELU_SPEC_H_

#if defined(ACTIVATIONS_SELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SELU_INL_H_
#undef ACTIVATIONS_SELU_INL_H_
#else
#define ACTIVATIONS_SELU_INL_H_
#endif
#include <limits>

#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Selu {
  // float32: on FMA targets in float32 lanes with the constants and e^x -
  // 1 as hi + lo pairs (FloatKernel; with single float32 constants they
  // add up to 3 ULP); elsewhere through the driver's float64 path
  // (Generic), rounded once.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  static constexpr bool kFloatFromOutputViaDouble = kFloatViaDouble;

  template <class D>
  struct Generic {
    using T = hn::TFromD<D>;
    // c = hi + lo with hi = c rounded to T (SplitNearest): c * v = hi * v +
    // lo * v, where the second product is a correction far below the first's
    // rounding.
    static constexpr SplitConstant<T> kScale = SplitNearest<T>(kSeluScale);
    // float64: the exact pair (kSeluScaleAlphaHi above); a split of the
    // long double product would carry its 5e-20 error into y + scale alpha.
    static constexpr SplitConstant<T> kScaleAlpha =
        sizeof(T) == 8 ? SplitConstant<T>{static_cast<T>(kSeluScaleAlphaHi),
                                          static_cast<T>(kSeluScaleAlphaLo)}
                       : SplitNearest<T>(kSeluScale * kSeluAlpha);

    D d;
    V<D> scale_hi, scale_lo, sa_hi, sa_lo;
    Generic(D d_in, const ParamValues&)
        : d(d_in),
          scale_hi(hn::Set(d_in, kScale.hi)),
          scale_lo(hn::Set(d_in, kScale.lo)),
          sa_hi(hn::Set(d_in, kScaleAlpha.hi)),
          sa_lo(hn::Set(d_in, kScaleAlpha.lo)) {}

    // The correction takes v clamped to a finite value, so that v = +inf
    // gives inf + finite = inf rather than inf - inf.
    HWY_INLINE V<D> Scaled(V<D> hi, V<D> lo, V<D> v) const {
      return hn::MulAdd(lo, ClampHuge(d, v), hn::Mul(hi, v));
    }

    using State = PositiveAndExpParts<D>;
    HWY_INLINE State Prepare(V<D> x) const { return ComputePositiveAndExpParts(d, x); }
    // x > 0: scale x; else scale alpha expm1(x), expm1 from the exponential's
    // parts (no cancellation near 0).
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      return hn::IfThenElse(s.pos, Scaled(scale_hi, scale_lo, x),
                            Scaled(sa_hi, sa_lo, s.e.Expm1NonPositive(d)));
    }
    // g scale alpha e^x with g scale alpha multiplied in before 2^q: full
    // precision where e^x alone would be subnormal but the product is not.
    HWY_INLINE V<D> Slope(const State& s, V<D>, Unit) const {
      return hn::IfThenElse(s.pos, hn::Add(scale_hi, scale_lo),
                            s.e.MulExp(d, hn::Add(sa_hi, sa_lo)));
    }
    HWY_INLINE V<D> Slope(const State& s, V<D>, V<D> g) const {
      return hn::IfThenElse(s.pos, Scaled(scale_hi, scale_lo, g),
                            s.e.MulExp(d, Scaled(sa_hi, sa_lo, g)));
    }
    // y + scale alpha: (y + hi) is exact near y = -scale alpha (Sterbenz),
    // where the sum cancels, and lo then enters with one rounding.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      return Times(d, g,
                   hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Add(scale_hi, scale_lo),
                                  hn::Add(hn::Add(y, sa_hi), sa_lo)));
    }
  };

  // float32 in float32 lanes (session 21, kernels20; float64 lanes before):
  // scale and scale alpha as float32 pairs hi + lo, e^x - 1 as h + l
  // (Expm1NonPositiveHiLo, about 2^-40 but the polynomial's 0.02 ULP), each
  // result one FMA of the pairs (MulConstHiLo): about half an ULP, and 16
  // lanes per AVX-512 vector instead of 8. f' and g f' likewise: g scale
  // alpha as an exact pair times (1 + pm1) rounded once before 2^q
  // (MulExpHiLo); from y, y + scale alpha as Fast2Sum's hi + lo (exact
  // where it cancels).
  template <class DF>
  struct FloatKernel {
    static constexpr SplitConstant<float> kScale = SplitNearest<float>(kSeluScale);
    static constexpr SplitConstant<float> kScaleAlpha = SplitNearest<float>(kSeluScale * kSeluAlpha);
    DF d;
    V<DF> scale_hi, scale_lo, sa_hi, sa_lo;
    FloatKernel(DF d_in, const ParamValues&)
        : d(d_in),
          scale_hi(hn::Set(d_in, kScale.hi)),
          scale_lo(hn::Set(d_in, kScale.lo)),
          sa_hi(hn::Set(d_in, kScaleAlpha.hi)),
          sa_lo(hn::Set(d_in, kScaleAlpha.lo)) {}

    // (Session 29: e^min(x, 0)'s parts from ComputeExpPartsNonPositiveShortChain,
    // for f and f' alike: pm1 after 4 dependent operations of r instead of 7.)
    using State = PositiveAndExpParts<DF>;
    HWY_INLINE State Prepare(V<DF> x) const {
      return {hn::Gt(x, hn::Zero(d)), ComputeExpPartsNonPositiveShortChain(d, hn::Min(x, hn::Zero(d)))};
    }
    // c (v + v_lo) as MulConstHiLo: c = scale, v = x for x > 0, else c =
    // scale alpha, v + v_lo = e^x - 1. Where |v| < 2^-100 it is formed from
    // v 2^32 and scaled back (exact but where the result is subnormal):
    // c_lo v (2^-25 v) rounded in the subnormal range was off by up to half
    // an ULP of a result near FLT_MIN (1.0 ULP at x = 2.01e-38; v_lo is 0
    // there). c_lo v takes v clamped at FLT_MAX, so x = inf gives inf.
    // For x > 0 the exponential's parts are of 0 (q = r = pm1 = pm1_lo = 0),
    // so l is +0 there already and needs no select (session 22: one
    // instruction of about 48 per vector, the same bits).
    // (Session 24: the scaling of tiny lanes is a rare branch; the common
    // path, no lane below 2^-100, computes the same p with vs = v and no
    // scaling back: the same bits, two masked multiplications fewer.)
    // (Session 25: the common path's test is that every lane is at least
    // 2^-100 and not NaN, hn::Ge being false for NaN; a NaN x gives v = 0
    // anyway, x86's min(NaN, 0) being 0. So no NaN reaches the common
    // path, and the rare one puts x back into NaN lanes: the driver's NaN
    // restore, two operations a vector, is skipped (kValueKeepsNaN). The
    // same vectors take each path as before, and the same bits.)
    // v + v_lo and c_hi + c_lo of one vector, and whether it takes the
    // common path.
    struct Terms {
      V<DF> v, v_lo, c_hi, c_lo;
      hn::Mask<DF> common;
    };
    // (Session 29: c (v + v_lo) as c_hi v + (c_hi v_lo + c_lo v), c_lo v
    // off the chain that waits for v_lo.)
    HWY_INLINE Terms TermsOf(const State& st, V<DF> x) const {
      Terms t;
      const V<DF> h = Expm1NonPositiveHiLo(d, st.e, &t.v_lo);
      t.v = hn::IfThenElse(st.pos, x, h);
      t.c_hi = hn::IfThenElse(st.pos, scale_hi, sa_hi);
      t.c_lo = hn::IfThenElse(st.pos, scale_lo, sa_lo);
      // The common path's test on x itself, off the chain: |x| >= 2^-100
      // (false for NaN) gives |v| >= 2^-100 (v = x, or h = x where |x| <
      // 2^-20, or larger), so every vector with a tiny v or a NaN x still
      // takes ValueWithTiny.
      t.common = hn::Ge(hn::Abs(x), hn::Set(d, 0x1p-100f));
      return t;
    }
    HWY_INLINE V<DF> Common(const Terms& t) const {
      const V<DF> vc = hn::Min(t.v, hn::Set(d, std::numeric_limits<float>::max()));
      return hn::MulAdd(t.c_hi, t.v, hn::MulAdd(t.c_hi, t.v_lo, hn::Mul(t.c_lo, vc)));
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF> x) const {
      const Terms t = TermsOf(s, x);
      if (HWY_UNLIKELY(!hn::AllTrue(d, t.common))) {
        return ValueWithTiny(x, t.v, t.v_lo, t.c_hi, t.c_lo);
      }
      return Common(t);
    }
    // Two vectors, each the same bits as Value: the two chains in one body
    // (the driver's LoopForwardPairs), one test for both.
    HWY_INLINE void ValuePair(V<DF> x0, V<DF> x1, V<DF>* y0, V<DF>* y1) const {
      const Terms t0 = TermsOf(Prepare(x0), x0);
      const Terms t1 = TermsOf(Prepare(x1), x1);
      if (HWY_UNLIKELY(!hn::AllTrue(d, hn::And(t0.common, t1.common)))) {
        // (Recomputed out of line from x: keeping the terms for this path
        // cost the loop eight stores a pair.)
        *y0 = ValueOutOfLine(x0);
        *y1 = ValueOutOfLine(x1);
        return;
      }
      *y0 = Common(t0);
      *y1 = Common(t1);
    }
    // Value gives x's bits in NaN lanes of x (the driver's forward skips its
    // restore): the common path sees no NaN, and this one restores them.
    static constexpr bool kValueKeepsNaN = true;
    HWY_NOINLINE V<DF> ValueOutOfLine(V<DF> x) const { return Value(Prepare(x), x); }
    HWY_NOINLINE V<DF> ValueWithTiny(V<DF> x, V<DF> v, V<DF> v_lo, V<DF> c_hi,
                                     V<DF> c_lo) const {
      const auto tiny = hn::Lt(hn::Abs(v), hn::Set(d, 0x1p-100f));
      const V<DF> vs = hn::IfThenElse(tiny, hn::Mul(v, hn::Set(d, 0x1p32f)), v);
      const V<DF> vc = hn::Min(vs, hn::Set(d, std::numeric_limits<float>::max()));
      // Common's sum, in the same order: the other lanes of the vector get
      // Common's bits (an element's value does not depend on its
      // neighbours); in the tiny lanes v_lo is 0 and the order changes
      // nothing.
      const V<DF> p = hn::MulAdd(c_hi, vs, hn::MulAdd(c_hi, v_lo, hn::Mul(c_lo, vc)));
      return hn::IfThenElse(hn::IsNaN(x), x, hn::IfThenElse(tiny, hn::Mul(p, hn::Set(d, 0x1p-32f)), p));
    }
    // f' = scale (x > 0) or scale alpha e^x; g f' with g scale alpha formed
    // exactly as a pair first (|g| <= 2^64 here: the driver scales larger
    // ones, kernels.cc BackwardOf).
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, Unit) const {
      return hn::IfThenElse(s.pos, scale_hi, MulExpHiLo(s.e, sa_hi, sa_lo));
    }
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, V<DF> g) const {
      V<DF> a_lo;
      const V<DF> a = TwoProduct(d, g, sa_hi, &a_lo);
      a_lo = hn::MulAdd(g, sa_lo, a_lo);
      return hn::IfThenElse(s.pos, hn::MulAdd(g, scale_hi, hn::Mul(g, scale_lo)),
                            MulExpHiLo(s.e, a, a_lo));
    }
    // g (y + scale alpha) for y <= 0 (AddConstHiLo: exact near y = -scale
    // alpha, where it cancels), g scale above.
    template <class G>
    HWY_INLINE V<DF> SlopeFromOutput(V<DF> y, G g) const {
      V<DF> lo;
      const V<DF> hi = AddConstHiLo(d, sa_hi, sa_lo, y, hn::Set(d, -0x1p30f), &lo);
      V<DF> neg, pos;
      if constexpr (kIsUnit<G>) {
        neg = hn::Add(hi, lo);
        pos = scale_hi;
      } else {
        neg = hn::MulAdd(g, hi, hn::Mul(g, lo));
        pos = hn::MulAdd(g, scale_hi, hn::Mul(g, scale_lo));
      }
      return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), pos, neg);
    }
  };

  template <class D>
  using Kernel = KernelInWideLanes<D, FloatKernel, Generic>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SELU_INL_H_
