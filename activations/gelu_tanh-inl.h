// gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GELU's tanh
// approximation (PyTorch's approximate='tanh').
#ifndef ACTIVATIONS_GELU_TANH_SPEC_H_
#define ACTIVATIONS_GELU_TANH_SPEC_H_
#include <numbers>

#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
// u = sqrt(2/pi) (x + 0.044715 x^3) as hi + lo. Below 0, exp(-2u) turns an
// absolute error of u into a relative error 2|u| times as large (|u| up to
// about 370 where f is still a float64): rounded once, u cost the oracle up
// to 0.72 ULP of float64 at x = -19.4 (tools/mpfr_check, session 27). Here
// x^3 and the products are error-free (fmal) and sqrt(2/pi) and 0.044715
// are long double pairs (MPFR, 400 bits), so lo carries u to about 2^-64
// absolute.
struct GeluTanhUParts {
  long double hi, lo;
};
inline GeluTanhUParts GeluTanhU(long double x) {
  constexpr long double kCHi = 0xc.c42299ea1b28468p-4L, kCLo = 0xf.cb3c500bab8e2ffp-69L;
  constexpr long double kKHi = 0xb.727136a400fba88p-8L, kKLo = 0x9.aaa3ad18d25eddp-74L;
  const long double p = x * x, pe = std::fma(x, x, -p);            // x^2 = p + pe
  const long double t = p * x, te = std::fma(p, x, -t) + pe * x;   // x^3 = t + te
  const long double k = kKHi * t, ke = std::fma(kKHi, t, -k) + kKHi * te + kKLo * t;
  const long double s = x + k, b = s - x;                          // x + k x^3 = s + se
  const long double se = (x - (s - b)) + (k - b) + ke;
  const long double u = kCHi * s;
  return {u, std::fma(kCHi, s, -u) + kCHi * se + kCLo * s};
}
// exp(-2 sign * u) for u = hi + lo: exp(-2 sign hi) (1 - 2 sign lo), where
// |2 lo| < 2^-52 (the square of it is below 2^-104); lo is left out from
// |hi| = 2^14 on, where exp is 0 or inf in long double and lo may exceed 1.
inline long double GeluTanhExpM2U(const GeluTanhUParts& u, long double sign) {
  const long double lo = std::fabs(u.hi) < 0x1p14L ? u.lo : 0;
  return std::exp(-2 * sign * u.hi) * (1 - 2 * sign * lo);
}
// (1 + tanh(u)) / 2 = 1 / (1 + exp(-2u)), without cancellation for u < 0.
inline long double GeluTanhReference(long double x, const double*) {
  return x / (1 + GeluTanhExpM2U(GeluTanhU(x), 1));
}
inline long double GeluTanhReferenceDerivative(long double x, const double*) {
  const long double kSqrt2OverPi = 0.797884560802865355879892119868763737L;
  const GeluTanhUParts u = GeluTanhU(x);
  // 1 - tanh(u)^2 = 4e / (1 + e)^2, e = exp(-2|u|).
  const long double e = GeluTanhExpM2U(u, u.hi < 0 ? -1 : 1);
  const long double sech2 = 4 * e / ((1 + e) * (1 + e));
  const long double du = kSqrt2OverPi * (1 + 3 * 0.044715L * x * x);
  return 1 / (1 + GeluTanhExpM2U(u, 1)) + x / 2 * du * sech2;
}
inline constexpr ActivationSpec kGeluTanhSpec{
    .name = "gelu_tanh",
    .formula = "f(x) = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x^3)",
    .derivative_formula =
        "f'(x) = (1 + tanh(u))/2 + x/2 * (1 - tanh(u)^2) * sqrt(2/pi) * (1 + 0.134145 x^2)",
    .params = {},
    .output_range = {.min = -0.17004075057125405, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 1, .derivative = 1, .backward = 1},
    .ulp_float64 = {.forward = 2, .derivative = 2.5, .backward = 3,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "Computed as x * sigmoid(2u), since (1 + tanh(u))/2 = sigmoid(2u) has "
             "no cancellation for x < 0. float32 is native on FMA targets in "
             "every mode (through float64 on SSE4 and scalar), f and f' sharing "
             "one exponential; on AVX-512 it runs in float64 lanes (x^2 exact, "
             "each result rounded once), elsewhere in hi + lo pairs, where "
             "2u is formed in double-double so the exponential "
             "does not amplify its rounding in the lower tail. f'(x) = 0 at x = "
             "-0.7525: float32 takes f' there from its Taylor series (within "
             "1/8), so it has no near-zero exception; float64 has the bounds' "
             "derivative_near_zero one.",
    .reference = {&GeluTanhReference, &GeluTanhReferenceDerivative},
    .pytorch = "torch.nn.functional.gelu(input, approximate='tanh')",
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct GeluTanhNaive {
  // sqrt(2 / pi) and the 0.044715 of Hendrycks & Gimpel's tanh approximation.
  template <typename T>
  static constexpr T kSqrt2OverPi = std::numbers::sqrt2_v<T> * std::numbers::inv_sqrtpi_v<T>;
  template <typename T>
  static constexpr T kCubic = T(0.044715);

  template <typename T>
  static T Value(T x, const ParamValues&) {
    const T u = kSqrt2OverPi<T> * (x + kCubic<T> * x * x * x);
    return T(0.5) * x * (T(1) + std::tanh(u));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T u = kSqrt2OverPi<T> * (x + kCubic<T> * x * x * x);
    const T t = std::tanh(u);
    return T(0.5) * (T(1) + t) +
           T(0.5) * x * (T(1) - t * t) * kSqrt2OverPi<T> * (T(1) + T(3) * kCubic<T> * x * x);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_GELU_TANH_SPEC_H_

#if defined(ACTIVATIONS_GELU_TANH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_GELU_TANH_INL_H_
#undef ACTIVATIONS_GELU_TANH_INL_H_
#else
#define ACTIVATIONS_GELU_TANH_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct GeluTanh {
  // float32 natively on FMA targets, every mode (through float64 on SSE4
  // and scalar): f and f' share Prepare's exponential, and next to the zero
  // of f' a series keeps f' relative (Slope).
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  // float64, and float32 on AVX2 (8 lanes): hi + lo arithmetic in the
  // vector's own type. float32 on AVX-512 takes WideKernel below.
  template <class D>
  struct Generic {
    using T = hn::TFromD<D>;
    D d;
    Generic(D d_in, const ParamValues&) : d(d_in) {}

    // 2u = x (k1 + k2 x^2) with k1 = 2 sqrt(2/pi), k2 = 0.044715 k1, and
    // (2u)' = k1 + k3 x^2 with k3 = 3 k2. In the lower tail sigmoid(2u) is
    // exp(2u) with |2u| up to 100 (float) or 700 (double), which would
    // amplify the rounding of 2u as much: 2u is therefore formed as hi + lo
    // (about twice the element type's precision), constants included, and
    // so is the slope x (2u)' that cancels against 1 + e near the zero of
    // f'. hi/lo pairs computed with mpmath at 50 digits.
    static constexpr bool kF = sizeof(T) == 4;
    static constexpr T kK1 = kF ? T(1.5957691669464111) : T(1.5957691216057308);
    static constexpr T kK1Lo = kF ? T(-4.534068054340423e-08) : T(-9.96930880911092e-17);
    static constexpr T kK2 = kF ? T(0.07135481387376785) : T(0.07135481627260025);
    static constexpr T kK2Lo = kF ? T(2.3988324659995897e-09) : T(-6.175149918155315e-19);
    static constexpr T kK3 = kF ? T(0.21406444907188416) : T(0.21406444881780073);
    static constexpr T kK3Lo = kF ? T(-2.540834209696641e-10) : T(1.2025242832367862e-17);
    // |x| beyond which f is x or 0 and g f' is g or 0 for every finite g:
    // x^3 stays finite, and so does its Veltkamp split. float32: 20 (exp(2u)
    // = exp(-603) is 0 there), so that g x (2u)', multiplied in before the
    // final scaling, stays finite for |g| < 1e35. float64: 1e40, so that the
    // slope x (2u)' (<= 2^397) stays below kScaledFactorMax and g times it
    // finite for |g| <= 2^512 (kernels.cc, BackwardRare; at 1e90 the slope's
    // lo part times g overflowed: NaN at x = -DBL_MAX, g = 2^500).
    static constexpr T kClamp = kF ? T(20) : T(1e40);

    struct State {
      V<D> xc, sq, sq_lo;  // x clamped; x^2 = sq + sq_lo
      Logistic<D> s;       // of 2u
    };
    // k + c x^2 as hi + lo, for the constants k + k_lo, c + c_lo.
    HWY_INLINE V<D> PolyHiLo(V<D> sq, V<D> sq_lo, T k, T k_lo, T c, T c_lo, V<D>* lo) const {
      V<D> p_lo;
      const V<D> p = TwoProduct(d, hn::Set(d, c), sq, &p_lo);
      p_lo = hn::MulAdd(hn::Set(d, c), sq_lo, hn::MulAdd(hn::Set(d, c_lo), sq, p_lo));
      V<D> w_lo;
      const V<D> w = TwoSum(d, hn::Set(d, k), p, &w_lo);
      *lo = hn::Add(w_lo, hn::Add(p_lo, hn::Set(d, k_lo)));
      return w;
    }
    HWY_INLINE State Prepare(V<D> x) const {
      const V<D> xc = hn::Min(hn::Max(x, hn::Set(d, -kClamp)), hn::Set(d, kClamp));
      V<D> sq_lo;
      const V<D> sq = TwoProduct(d, xc, xc, &sq_lo);
      V<D> w_lo;
      const V<D> w = PolyHiLo(sq, sq_lo, kK1, kK1Lo, kK2, kK2Lo, &w_lo);
      V<D> z_lo;
      const V<D> z = TwoProduct(d, xc, w, &z_lo);
      z_lo = hn::MulAdd(xc, w_lo, z_lo);
      return {xc, sq, sq_lo, Logistic<D>(d, z, z_lo)};
    }
    // The exponential's rounding carried (MulSigmoid's kExtended): within
    // 1 ULP in float32, as the float64 path it replaces.
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      return s.s.template MulSigmoidAny<true>(d, x);
    }
    // g f'(x) = g (sigmoid(2u) + x (2u)' sigmoid'(2u)), as
    // Logistic::SigmoidPlusSlope with s = x (2u)': for 2u < 0 its numerator
    // W = 1 + e + s, e = exp(2u), vanishes at x0 = -0.75246 (the zero of
    // f'). float32 carries e's rounding (kExtended) and, within kNear of x0,
    // takes W from its Taylor series (SeriesNearZero) instead of the sum,
    // whose cancellation there would leave f' several ULP off. float64 has
    // the bounds' derivative_near_zero exception instead.
    // |g| <= 2^64 (2^512): the driver's backward scales a larger g down
    // first (kernels.cc, BackwardRare).
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D> x, G g) const {
      V<D> dz_lo;
      const V<D> dz = PolyHiLo(s.sq, s.sq_lo, kK1, kK1Lo, kK3, kK3Lo, &dz_lo);
      V<D> slope_lo;
      const V<D> slope = TwoProduct(d, s.xc, dz, &slope_lo);
      slope_lo = hn::MulAdd(s.xc, dz_lo, slope_lo);
      if constexpr (kF) {
        // W = (1 + e) + s as hi + lo for every lane (SigmoidPlusSlope's own
        // sum rounds it: up to 1.4 ULP of f' where it does not cancel), or
        // the series within kNear of x0.
        V<D> w_lo;
        V<D> w = TwoSum(d, s.s.den, slope, &w_lo);
        w_lo = hn::Add(w_lo, hn::Add(s.s.den_lo_ext, slope_lo));
        V<D> series_lo;
        const V<D> series = SeriesNearZero(x, &series_lo);
        const auto near = hn::Lt(hn::Abs(hn::Sub(x, hn::Set(d, kX0))), hn::Set(d, kNear));
        w = hn::IfThenElse(near, series, w);
        w_lo = hn::IfThenElse(near, series_lo, w_lo);
        const auto all = hn::Eq(w, w);  // (NaN lanes are restored by the driver)
        return s.s.template SigmoidPlusSlope<true>(d, slope, slope_lo, g, &all, w, w_lo);
      } else {
        return s.s.SigmoidPlusSlope(d, slope, slope_lo, g);
      }
    }

    // W(x0 + u) = u B(u), B(u) = c1 + u (c2 + c3 u + ... + c8 u^6): the
    // Taylor series of W at its zero, x0, c1 and c2..c8 from
    // tools/fit_gelu_tanh_series.py (60-digit mpmath; truncation and the
    // coefficients' rounding to float: 1.4e-10 of B on |u| <= 1/8). u = (x -
    // x0_hi) - x0_lo - x0_lo2, the first difference exact (Sterbenz), x0 in
    // three floats so that u keeps its relative precision at the float
    // nearest x0; u B as hi + *lo, renormalized (SigmoidPlusSlope's division
    // wants a lo part below an ULP of its hi part).
    static constexpr float kX0 = -0.7524614334106445f, kX0Lo = 1.1339627903339533e-08f,
                           kX0Lo2 = 3.694225143957672e-16f;
    static constexpr float kNear = 0.125f;
    static constexpr float kC1 = 2.4606568813323975f, kC1Lo = -1.1670216082393381e-07f;
    static constexpr float kP[7] = {  // c2 .. c8
        -0.09991152584552765f, 0.40044769644737244f,  0.0759589895606041f,
        0.03048599138855934f,  0.011295231990516186f, 0.0036903773434460163f,
        0.001152934622950852f};
    HWY_INLINE V<D> SeriesNearZero(V<D> x, V<D>* lo) const {
      V<D> u_lo;
      const V<D> u = Fast2Sum<D>(hn::Sub(x, hn::Set(d, kX0)), hn::Set(d, -kX0Lo), &u_lo);
      u_lo = hn::Sub(u_lo, hn::Set(d, kX0Lo2));
      V<D> p = Horner(d, u, kP);
      // B = c1 + b_lo, |b_lo| < 1 % of c1.
      const V<D> c1 = hn::Set(d, kC1);
      const V<D> b_lo = hn::MulAdd(u, p, hn::Set(d, kC1Lo));
      V<D> w_lo;
      V<D> w = TwoProduct(d, u, c1, &w_lo);
      w_lo = hn::MulAdd(u_lo, c1, hn::MulAdd(u, b_lo, w_lo));
      return Fast2Sum<D>(w, w_lo, lo);
    }
  };

  // float32 on AVX-512 in float64 lanes (math-inl.h's Halves), each result
  // rounded once to float32: no hi + lo pair. x^2 is exact in float64, so z
  // = 2u = x (k1 + k2 x^2) carries two roundings (2^-52 relative: 1.3e-13
  // absolute at |z| = 603, x = -20, below e's own error); e = exp(-|z|) from
  // ExpNonPositiveForFloatTable (2^-36), 1 / (1 + e) from VRCP14PD and two
  // Newton steps (2^-52). f' near its zero x0 from Generic's Taylor series
  // of W, evaluated in float64 (its coefficients' rounding and truncation,
  // 1.4e-10 of B, dominate there).
  template <class DF>
  struct WideKernel {
    using DW = WideHalf<DF>;
    // k1 = 2 sqrt(2/pi), k2 = 0.044715 k1, k3 = 3 k2 (Generic's hi + lo
    // pairs, rounded to float64).
    static constexpr double kK1 = 1.5957691216057308, kK2 = 0.07135481627260025,
                            kK3 = 0.21406444881780073;
    // Generic's x0 = hi + lo + lo2: hi + lo is exact in float64 (50 bits).
    static constexpr double kX0HiLo = double{Generic<DF>::kX0} + double{Generic<DF>::kX0Lo};
    DF d;
    DW dw;
    WideKernel(DF d_in, const ParamValues&) : d(d_in) {}

    struct Half {
      V<DW> x;   // promoted
      V<DW> xc;  // clamped to [-20, 20] (Generic::kClamp)
      V<DW> sq;  // xc^2, exact
      V<DW> e;   // exp(-|z|), z = 2u
      V<DW> r;   // 1 / (1 + e)
      hn::Mask<DW> neg;  // x < 0, where sigmoid(z) = e r
    };
    struct State {
      Half lo, hi;
    };
    HWY_INLINE Half PrepareHalf(V<DW> x) const {
      Half h;
      h.x = x;
      // (x86's min and max return their second operand when either is NaN.)
      h.xc = hn::Min(hn::Set(dw, 20.0), hn::Max(hn::Set(dw, -20.0), x));
      h.sq = hn::Mul(h.xc, h.xc);
      const V<DW> z = hn::Mul(h.xc, hn::MulAdd(h.sq, hn::Set(dw, kK2), hn::Set(dw, kK1)));
      h.neg = hn::Lt(x, hn::Zero(dw));
      h.e = ExpNonPositiveForFloatTable(dw, hn::Neg(hn::Abs(z))).Exp();
      h.r = ReciprocalForFloat(dw, hn::Add(hn::Set(dw, 1.0), h.e));
      return h;
    }
    HWY_INLINE State Prepare(V<DF> x) const {
      const Halves<DF> h = PromoteHalves(d, x);
      return {PrepareHalf(h.lo), PrepareHalf(h.hi)};
    }
    // f = x sigmoid(z): x r for x >= 0 (x itself beyond the clamp, +inf
    // included: e = 0 there), xc e r below (-0 below the clamp).
    HWY_INLINE V<DW> ValueHalf(const Half& h) const {
      return hn::Mul(hn::IfThenElse(h.neg, hn::Mul(h.xc, h.e), h.x), h.r);
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF>) const {
      return DemoteHalves(d, ValueHalf(s.lo), ValueHalf(s.hi));
    }
    // g f' rounded once; float64 has the range for any float32 g.
    template <class G>
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, G g) const {
      return DemoteTimes(d, g, SlopeHalf(s.lo), SlopeHalf(s.hi));
    }
    // f' = sigmoid(z) + s sigmoid(z) (1 - sigmoid(z)), s = x (2u)' = xc (k1
    // + k3 x^2): e W r^2 with W = 1 + e + s for x < 0, (1 + e + s e) r^2 for
    // x >= 0. W vanishes at x0 (the sum cancels): within 1/8 of x0, W =
    // u B(u) from the series, u = x - x0 (x - (hi + lo) exact, lo2 rounded
    // in once).
    HWY_INLINE V<DW> SlopeHalf(const Half& h) const {
      using G = Generic<DF>;
      static constexpr double kB[] = {  // c1 .. c8 of Generic's series
          double{G::kC1} + double{G::kC1Lo}, G::kP[0], G::kP[1], G::kP[2],
          G::kP[3], G::kP[4], G::kP[5], G::kP[6]};
      const V<DW> den = hn::Add(hn::Set(dw, 1.0), h.e);
      const V<DW> sl = hn::Mul(h.xc, hn::MulAdd(h.sq, hn::Set(dw, kK3), hn::Set(dw, kK1)));
      const V<DW> u = hn::Sub(hn::Sub(h.x, hn::Set(dw, kX0HiLo)),
                              hn::Set(dw, double{Generic<DF>::kX0Lo2}));
      const V<DW> series = hn::Mul(u, Horner(dw, u, kB));
      const auto near = hn::Lt(hn::Abs(u), hn::Set(dw, 0.125));
      const V<DW> w = hn::IfThenElse(near, series, hn::Add(den, sl));
      const V<DW> num = hn::IfThenElse(h.neg, hn::Mul(h.e, w), hn::MulAdd(sl, h.e, den));
      return hn::Mul(num, hn::Mul(h.r, h.r));
    }
  };
  template <class D>
  using Kernel = KernelInWideLanes512<D, WideKernel, Generic>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_GELU_TANH_INL_H_
