// tanhshrink(x) = x - tanh(x).
#ifndef ACTIVATIONS_TANHSHRINK_SPEC_H_
#define ACTIVATIONS_TANHSHRINK_SPEC_H_
#include <cstddef>
#include <utility>
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
// Below |x| = 1/2, x - tanh x cancels (by 13x at 1/2, without bound towards
// 0): there it is the Taylor series x^3 sum_k c_k x^(2k), c_k from tanh's
// own coefficients t_k by the recurrence (2k+1) t_k = -sum_{i+j=k-1} t_i
// t_j (from tanh' = 1 - tanh^2), summed to long double precision.
inline constexpr int kTanhshrinkReferenceTerms = 40;  // 0.1 per term at 1/2: 1e-40
struct TanhshrinkReferenceSeries {
  long double t[kTanhshrinkReferenceTerms + 1] = {1};
  TanhshrinkReferenceSeries() {
    for (int k = 1; k <= kTanhshrinkReferenceTerms; ++k) {
      long double s = 0;
      for (int i = 0; i < k; ++i) s += t[i] * t[k - 1 - i];
      t[k] = -s / (2 * k + 1);
    }
  }
};
inline long double TanhshrinkReference(long double x, const double*) {
  if (!(std::fabs(x) < 0.5L)) return x - std::tanh(x);
  static const TanhshrinkReferenceSeries series;  // computed once, thread-safe
  const long double* t = series.t;
  constexpr int kTerms = kTanhshrinkReferenceTerms;
  const long double u = x * x;
  long double sum = 0;
  for (int k = kTerms; k >= 1; --k) sum = sum * u - t[k];
  return x * u * sum;
}
inline long double TanhshrinkReferenceDerivative(long double x, const double*) {
  const long double t = std::tanh(x);
  return t * t;
}
inline constexpr ActivationSpec kTanhshrinkSpec{
    .name = "tanhshrink",
    .formula = "f(x) = x - tanh(x)",
    .derivative_formula = "f'(x) = tanh(x)^2",
    .params = {},
    .output_range = {},
    .properties = {.bounded_below = false, .bounded_above = false, .smooth = true,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501},
    .ulp_float64 = {.forward = 1.5, .derivative = 2, .backward = 2},
    .notes = "x - tanh(x) cancels near 0 (f ~ x^3 / 3): below |x| = 0.75 it is "
             "a Taylor series of 27 terms, so tanhshrink(1e-3) = 3.3e-10 keeps "
             "every digit where the subtraction would keep none. Above, the "
             "subtraction would magnify tanh's error by x / f(x) <= 6.5: float64 "
             "carries tanh as a sum of two doubles (e^(-2|x|) - 1 and the "
             "quotient with their roundings), so f, f' = tanh^2 and g f' are "
             "rounded about once; float32 is computed in float64 and rounded "
             "once (on AVX-512 f with float32-grade parts: the series, 11 "
             "terms, below |x| = 0.4).",
    .reference = {&TanhshrinkReference, &TanhshrinkReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct TanhshrinkNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x - std::tanh(x);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T t = std::tanh(x);
    return t * t;
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_TANHSHRINK_SPEC_H_

#if defined(ACTIVATIONS_TANHSHRINK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_TANHSHRINK_INL_H_
#undef ACTIVATIONS_TANHSHRINK_INL_H_
#else
#define ACTIVATIONS_TANHSHRINK_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Tanhshrink {
  // float32 through float64: even the magnified float64 error is far
  // below float32's rounding, so the result is rounded once (0.5 ULP). On
  // AVX-512 every mode in float64 lanes inside the float32 loop (WideKernel
  // below: f to float32's needs, f' Generic's own); elsewhere through the
  // driver's float64 path (Generic).
  static constexpr bool kFloatForwardViaDouble = !kWideLanes512;
  static constexpr bool kFloatDerivativeViaDouble = !kWideLanes512;

  template <class D>
  struct Generic {
    D d;
    Generic(D d_in, const ParamValues&) : d(d_in) {}

    // Below this |x| the series; (2 * 0.75 / pi)^2 = 0.23 per term, so 27
    // terms leave 2^-56 of the sum (exact rationals rounded to double, from
    // the recurrence in the reference above).
    static constexpr double kSeriesEnd = 0.75;
    static constexpr double kSeries[] = {
        0.3333333333333333, -0.13333333333333333, 0.05396825396825397,
        -0.021869488536155203, 0.008863235529902197, -0.003592128036572481,
        0.0014558343870513183, -0.000590027440945586, 0.00023912911424355248,
        -9.691537956929451e-05, 3.927832388331683e-05, -1.5918905069328964e-05,
        6.451689215655431e-06, -2.6147711512907546e-06, 1.0597268320104654e-06,
        -4.294911078273806e-07, 1.7406618963571648e-07, -7.054636946400968e-08,
        2.859136662305254e-08, -1.1587644432798853e-08, 4.6962953982309016e-09,
        -1.903336833931276e-09, 7.713933635359062e-10, -3.126339545892087e-10,
        1.26705769303054e-10, -5.135191408039368e-11, 2.0812146867700473e-11,
    };
    static constexpr size_t kSeriesTerms = sizeof(kSeries) / sizeof(kSeries[0]);

    // x^3 (c_0 + c_1 x^2 + ...) as x (u P(u)): u P(u) stays normal where
    // x^3 is subnormal, so the product rounds about once there. Each step
    // carries its rounding (session 25: 2.9 ULP at x = -0.0712 before): u =
    // x^2 and both products split exactly (TwoProduct), P = c_0 + u Q(u)
    // with c_0 = 1/3 as hi + lo and the last FMA's rounding kept (c_0 - P
    // is exact: P is within [c_0 / 2, c_0]); Q's own rounding is damped by
    // u Q / P <= 0.28.
    // Q(u) = c_1 + c_2 u + ... + c_26 u^25 as E(u^2) + u O(u^2), the even
    // and odd chains by Horner's rule side by side (half the latency of
    // one chain of 25 FMAs, which bound the loop), fully unrolled.
    static_assert(kSeriesTerms % 2 == 1, "Q has an even number of terms");
    template <size_t... I>
    HWY_INLINE V<D> SeriesQ(V<D> u, std::index_sequence<I...>) const {
      constexpr size_t kLast = kSeriesTerms - 1;  // c_26: O's leading term
      const V<D> u2 = hn::Mul(u, u);
      V<D> e = hn::Set(d, kSeries[kLast - 1]);
      V<D> o = hn::Set(d, kSeries[kLast]);
      // Step k = 1 .. 12: e takes c_(kLast - 1 - 2k), o c_(kLast - 2k).
      auto step = [&](auto k) {
        e = hn::MulAdd(e, u2, hn::Set(d, kSeries[kLast - 1 - 2 * decltype(k)::value]));
        o = hn::MulAdd(o, u2, hn::Set(d, kSeries[kLast - 2 * decltype(k)::value]));
      };
      (step(std::integral_constant<size_t, I + 1>()), ...);
      return hn::MulAdd(o, u, e);
    }
    static constexpr double kThirdLo = 1.850371707708594e-17;  // 1/3 - kSeries[0]
    V<D> Series(V<D> x) const {
      V<D> u_lo;
      const V<D> u = TwoProduct(d, x, x, &u_lo);
      const V<D> q = SeriesQ(u, std::make_index_sequence<(kSeriesTerms - 1) / 2 - 1>());
      const V<D> c0 = hn::Set(d, kSeries[0]);
      const V<D> p = hn::MulAdd(u, q, c0);
      const V<D> p_lo = hn::Add(hn::MulAdd(u, q, hn::Sub(c0, p)), hn::Set(d, kThirdLo));
      V<D> up_lo;
      const V<D> up = TwoProduct(d, u, p, &up_lo);
      up_lo = hn::MulAdd(u, p_lo, hn::MulAdd(u_lo, p, up_lo));
      V<D> f_lo;
      const V<D> f = TwoProduct(d, x, up, &f_lo);
      return hn::Add(f, hn::MulAdd(x, up_lo, f_lo));
    }
    // tanh x = -m / (2 + m) with the sign of x, m = expm1(-2|x|) (as
    // tanh-inl.h), rounded: float32's f' and g f' on AVX-512 (WideKernel,
    // its exhaustive certificate's bits), no longer Generic's own.
    HWY_INLINE V<D> TanhOf(V<D> x) const {
      const ExpParts<D> p = ComputeExpParts(d, hn::Mul(hn::Abs(x), hn::Set(d, -2)));
      const V<D> m = p.Expm1NonPositive(d);
      return hn::CopySign(hn::Div(hn::Neg(m), hn::Add(m, hn::Set(d, 2))), x);
    }
    struct RoundedTanh {
      V<D> t;
    };
    HWY_INLINE RoundedTanh PrepareRoundedTanh(V<D> x) const { return {TanhOf(x)}; }
    // g tanh^2 x as (g t) t: g is folded in before the second factor, so
    // g f' keeps its digits where t^2 alone would underflow.
    template <class G>
    HWY_INLINE V<D> RoundedTanhSlope(const RoundedTanh& s, G g) const {
      return hn::Mul(Times(d, g, s.t), s.t);
    }

    // t = tanh |x| as t + t_lo (session 25, issue 8's float64 <= 4 ULP),
    // and whether |x| is below the series' end. n = -m = 1 - e^(-2a) =
    // (1 - 2^q) - 2^q (pm1 + pm1_lo), a = |x|: 2^q pm1 is exact, 1 - 2^q is
    // split exactly (it rounds below q = -53, where a lost 2^-54 cost f' =
    // t^2 2.5 ULP at |x| = 18.6), and so is the sum (|1 - 2^q| >= |2^q
    // pm1|, or q = 0), so m
    // is known to about 2^-56 of e^(-2a) (the polynomial's rounding)
    // instead of the 1 ULP of one rounded m. 2 + m likewise, and the
    // quotient -m / (2 + m) is corrected by its exact residual
    // (DivideHiLo). t within about 2^-57 absolute.
    // ComputeExpPartsNonPositive(d, -2a)'s reduction and parts, with e^r - 1
    // = r + r^2 P(r) by Estrin's scheme (P's 12 Taylor terms in four levels
    // instead of a chain of 12 FMAs: the loop is bound by its latency).
    HWY_INLINE ExpParts<D> ExpPartsOfMinus2A(V<D> a) const {
      using Tr = FloatTraits<double>;
      const double kMin = kHaveScalef ? Tr::kExpMinScalef : Tr::kExpMin;
      const V<D> x = hn::Mul(a, hn::Set(d, -2));
      const V<D> xc = hn::Max(hn::Set(d, kMin), x);
      const V<D> q = hn::Round(hn::Mul(xc, hn::Set(d, 1.4426950408889634)));
      const V<D> r1 = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Hi), xc);
      const V<D> r = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Lo), r1);
      const V<D> r_lo = ExactFma(d, hn::Neg(q), hn::Set(d, Tr::kLn2Lo), hn::Sub(r1, r));
      // P(r) = sum_k r^k / (k + 2)!, k = 0 .. 11.
      auto c = [&](double v) { return hn::Set(d, v); };
      const V<D> r2 = hn::Mul(r, r);
      const V<D> r4 = hn::Mul(r2, r2);
      const V<D> p01 = hn::MulAdd(c(1.0 / 6), r, c(0.5));
      const V<D> p23 = hn::MulAdd(c(1.0 / 120), r, c(1.0 / 24));
      const V<D> p45 = hn::MulAdd(c(1.0 / 5040), r, c(1.0 / 720));
      const V<D> p67 = hn::MulAdd(c(1.0 / 362880), r, c(1.0 / 40320));
      const V<D> p89 = hn::MulAdd(c(1.0 / 39916800), r, c(1.0 / 3628800));
      const V<D> pab = hn::MulAdd(c(1.0 / 6227020800.0), r, c(1.0 / 479001600));
      const V<D> p03 = hn::MulAdd(p23, r2, p01);
      const V<D> p47 = hn::MulAdd(p67, r2, p45);
      const V<D> p8b = hn::MulAdd(pab, r2, p89);
      const V<D> poly = hn::MulAdd(hn::MulAdd(p8b, r4, p47), r4, p03);
      ExpParts<D> parts;
      const V<D> pr = hn::Mul(poly, r);
      parts.pm1 = hn::MulAdd(pr, r, r);
      parts.pm1_lo = hn::MulAdd(parts.N(d), r_lo, ExactFma(d, pr, r, hn::Sub(r, parts.pm1)));
      parts.SetScale(d, q, hn::Lt(x, hn::Set(d, kMin)));
      return parts;
    }
    struct State {
      hn::Mask<D> small;
      V<D> t;     // tanh |x|, rounded or nearly
      V<D> t_lo;  // tanh |x| - t
    };
    HWY_INLINE State Prepare(V<D> x) const {
      const V<D> a = hn::Abs(x);
      const V<D> one = hn::Set(d, 1);
      const ExpParts<D> p = ExpPartsOfMinus2A(a);
      const V<D> s = p.Pow2Q(d);
      // n = -m = (1 - 2^q) - 2^q pm1 - 2^q pm1_lo, n + n_lo.
      const V<D> n1 = hn::Sub(one, s);
      const V<D> n1_lo = hn::Sub(hn::Sub(one, n1), s);  // 1 - 2^q rounds below q = -53
      const V<D> n = hn::NegMulAdd(s, p.pm1, n1);
      V<D> n_lo = hn::NegMulAdd(s, p.pm1, hn::Sub(n1, n));  // 2^q pm1 is exact
      n_lo = hn::NegMulAdd(s, p.pm1_lo, hn::Add(n_lo, n1_lo));
      // 2 + m = 2 - n, den + den_lo.
      const V<D> two = hn::Set(d, 2);
      const V<D> den = hn::Sub(two, n);
      const V<D> den_lo = hn::Sub(hn::Sub(hn::Sub(two, den), n), n_lo);
      V<D> t_lo;
      const V<D> t = DivideHiLo(d, n, n_lo, den, den_lo, hn::Div(one, den), &t_lo);
      return {hn::Lt(a, hn::Set(d, kSeriesEnd)), t, t_lo};
    }
    // Near 0 the series (x - tanh x cancels there), else a - t with the
    // sign of x, rounded once from the exact a - t_hi: below a = 3/2
    // a - t_hi is exact (Sterbenz: t >= 0.635 >= a / 2), then t_lo is
    // taken off; above, (a - 1) + ((1 - t_hi) - t_lo), both differences
    // exact (a <= 2^53) and the rounding of the small bracket (<= 0.1)
    // worth at most 0.08 ULP of f >= 0.59. Before session 25 f = x - t
    // with t rounded: its error magnified up to 6.5 times (12.9 ULP).
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      const V<D> a = hn::Abs(x);
      const V<D> one = hn::Set(d, 1);
      const V<D> near = hn::Sub(hn::Sub(a, s.t), s.t_lo);
      const V<D> far = hn::Add(hn::Sub(a, one), hn::Sub(hn::Sub(one, s.t), s.t_lo));
      const V<D> f = hn::IfThenElse(hn::Lt(a, hn::Set(d, 1.5)), near, far);
      return hn::IfThenElse(s.small, Series(x), hn::CopySign(f, x));
    }
    // g tanh^2 x as (g t) t from t + t_lo, each product split exactly
    // (TwoProduct) and the lo terms carried: about 0.5 ULP. g is folded in
    // before the second factor, so g f' keeps its digits where t^2 alone
    // would underflow.
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D>, G g) const {
      if constexpr (kIsUnit<G>) {
        // t^2 + 2 t t_lo, rounded once.
        return MulAddOnce(s.t, s.t, hn::Mul(hn::Add(s.t, s.t), s.t_lo));
      } else {
        V<D> e;
        const V<D> h = TwoProduct(d, g, s.t, &e);
        const V<D> h_lo = hn::MulAdd(g, s.t_lo, e);
        // (g f' has the sign of g: a zero product keeps it, as (g t) t.)
        return hn::CopySign(MulAddOnce(h, s.t, hn::MulAdd(h_lo, s.t, hn::Mul(h, s.t_lo))), g);
      }
    }
    // a b + c with a b exact before the sum (FMA; else TwoProduct): the
    // last rounding of f' and g f'.
    HWY_INLINE V<D> MulAddOnce(V<D> a, V<D> b, V<D> c) const {
      if constexpr (HWY_NATIVE_FMA) {
        return hn::MulAdd(a, b, c);
      } else {
        V<D> lo;
        const V<D> p = TwoProduct(d, a, b, &lo);
        return hn::Add(p, hn::Add(lo, c));
      }
    }
  };

  // float32 on AVX-512 (session 22, kernels26) in float64 lanes (math-inl.h's
  // Halves), each result rounded once to float32. f with float32-grade
  // parts instead of Generic's full float64 ones, on a = |x| (f is odd; the
  // sign is copied back last, -0 stays -0 as in Generic):
  // - a < 0.4: f = a u P(u), u = a^2, Generic's series to c_10: the first
  //   term left out is 3 c_11 0.4^22 = 2^-42.4 of the sum.
  // - a >= 0.4: f = a - t, t = tanh a = -m / (2 + m), m = e^(-2a) - 1 from
  //   ExpNonPositiveForFloatTable (its Taylor remainder 1.5e-13 absolute is
  //   2^-41.8 of |m| >= 0.55 here), 1 / (2 + m) from VRCP14PD and two Newton
  //   steps (2^-52): t within 2^-41.3, magnified in a - t by t / f <= 19
  //   (at a = 0.4): 2^-37, against the 2^-34 of float32's half ULP that a
  //   0.501 ULP bound leaves.
  // Generic ran its series to 0.75 with 27 terms and the full float64
  // exponential and division: about twice the work per vector. f' and g f'
  // are Generic's rounded tanh on each half (RoundedTanh: session 22's
  // float64 operations, kept for the exhaustive certificate's bits when
  // Generic's own float64 path became t + t_lo in session 25).
  template <class DF>
  struct WideKernel {
    using DW = WideHalf<DF>;
    using GW = Generic<DW>;
    static constexpr double kSeriesEnd = 0.4;
    static constexpr size_t kSeriesTerms = 11;  // c_0 .. c_10 of Generic's
    DF d;
    DW dw;
    GW wide;  // f' and g f'
    WideKernel(DF d_in, const ParamValues& p) : d(d_in), wide(DW(), p) {}

    struct Half {
      V<DW> f;                   // f(|x|)
      typename GW::RoundedTanh slope;  // Generic's rounded tanh x, for f'
    };
    struct State {
      Half lo, hi;
    };
    HWY_INLINE Half PrepareHalf(V<DW> x) const {
      const V<DW> a = hn::Abs(x);
      const V<DW> u = hn::Mul(a, a);
      // (Horner's rule on the first terms of Generic's table; an array of
      // them initialized from it is not a constant expression for clang 14.)
      V<DW> p = hn::Set(dw, GW::kSeries[kSeriesTerms - 1]);
      for (size_t i = kSeriesTerms - 1; i-- > 0;) p = hn::MulAdd(p, u, hn::Set(dw, GW::kSeries[i]));
      const V<DW> series = hn::Mul(a, hn::Mul(u, p));
      const V<DW> m = ExpNonPositiveForFloatTable(dw, hn::Mul(a, hn::Set(dw, -2.0))).Expm1(dw);
      const V<DW> t = hn::Mul(hn::Neg(m), ReciprocalForFloat(dw, hn::Add(m, hn::Set(dw, 2.0))));
      return {hn::IfThenElse(hn::Lt(a, hn::Set(dw, kSeriesEnd)), series, hn::Sub(a, t)),
              wide.PrepareRoundedTanh(x)};
    }
    HWY_INLINE State Prepare(V<DF> x) const {
      const Halves<DF> h = PromoteHalves(d, x);
      return {PrepareHalf(h.lo), PrepareHalf(h.hi)};
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF> x) const {
      return hn::CopySign(DemoteHalves(d, s.lo.f, s.hi.f), x);
    }
    // Generic's g t^2 on each half, rounded once; float64 has the range for
    // any float32 g.
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, Unit u) const {
      return DemoteHalves(d, wide.RoundedTanhSlope(s.lo.slope, u),
                          wide.RoundedTanhSlope(s.hi.slope, u));
    }
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, V<DF> g) const {
      const Halves<DF> gh = PromoteHalves(d, g);
      return DemoteHalves(d, wide.RoundedTanhSlope(s.lo.slope, gh.lo),
                          wide.RoundedTanhSlope(s.hi.slope, gh.hi));
    }
  };
  template <class D>
  using Kernel = KernelInWideLanes512<D, WideKernel, Generic>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_TANHSHRINK_INL_H_
