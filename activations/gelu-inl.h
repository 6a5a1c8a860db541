// gelu(x) = x * Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016).
#ifndef ACTIVATIONS_GELU_SPEC_H_
#define ACTIVATIONS_GELU_SPEC_H_
#include <numbers>

#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double GeluReference(long double x, const double*) {
  return x * std::erfc(-x / std::sqrt(2.0L)) / 2;
}
inline long double GeluReferenceDerivative(long double x, const double*) {
  const long double kInvSqrt2Pi = 0.398942280401432677939946059934381868L;
  return std::erfc(-x / std::sqrt(2.0L)) / 2 + x * std::exp(-x * x / 2) * kInvSqrt2Pi;
}
inline constexpr ActivationSpec kGeluSpec{
    .name = "gelu",
    .formula = "f(x) = x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))",
    .derivative_formula = "f'(x) = Phi(x) + x * exp(-x^2/2) / sqrt(2 pi)",
    .params = {},
    .output_range = {.min = -0.16997120747990366, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 1, .derivative = 1, .backward = 1},
    .ulp_float64 = {.forward = 2, .derivative = 2, .backward = 2,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "PyTorch's approximate='none'. Highway has no erf: Phi(-|x|) = "
             "exp(-x^2/2) S(t) / (|x| + K), t = (|x| - K)/(|x| + K), one fitted "
             "polynomial S on the whole half-line (float32: degree 10, double: "
             "22), x^2 formed exactly and t's rounding carried, so the tail "
             "keeps full precision (gelu(-10) = -7.6e-23). float32 is native "
             "on FMA targets in every mode (through float64 on SSE4 and "
             "scalar); its derivative uses the Taylor series of f' at its zero "
             "(x = -0.7518) within 1/4 of it, so float32 has no near-zero "
             "exception; float64 has the bounds' derivative_near_zero one.",
    .reference = {&GeluReference, &GeluReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct GeluNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return T(0.5) * x * (T(1) + std::erf(x / std::numbers::sqrt2_v<T>));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    // 1 / sqrt(2 pi)
    const T inv_sqrt_2pi = std::numbers::inv_sqrtpi_v<T> / std::numbers::sqrt2_v<T>;
    const T cdf = T(0.5) * (T(1) + std::erf(x / std::numbers::sqrt2_v<T>));
    return cdf + x * std::exp(T(-0.5) * x * x) * inv_sqrt_2pi;
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_GELU_SPEC_H_

#if defined(ACTIVATIONS_GELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_GELU_INL_H_
#undef ACTIVATIONS_GELU_INL_H_
#else
#define ACTIVATIONS_GELU_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// The tail of the normal distribution, Q(a) = Phi(-a) = E R(a) for a >= 0,
// with E = exp(-a^2/2) and R(a) = erfcx(a/sqrt 2)/2 = S(t) / (a + K),
// t = (a - K)/(a + K). S = (a + K) R is smooth and bounded ([0.40, 1.5]) on
// the whole half-line, so one polynomial in t covers [0, 16] (float: K = 3,
// degree 10) or [0, 40] (double: K = 4, degree 22) with no cancellation at
// large a; beyond, E is 0. Coefficients: least-squares fits in relative
// error on 400 Chebyshev nodes at 60 digits (mpmath), fit error 1.0e-9 and
// 2.2e-17; the two leading ones as hi + lo in float.
template <typename T>
struct GeluTail;
template <>
struct GeluTail<float> {
  static constexpr float kK = 3, kMaxA = 16;
  static constexpr float kC0 = 0.7290837168693542f, kC0Lo = -2.640682339460909e-08f;
  static constexpr float kC1 = -0.509332001209259f, kC1Lo = 1.1213543871235743e-08f;
  static constexpr float kC[] = {0.23001769185066223f,    -0.047262728214263916f,
                                 -0.010462447069585323f,  0.006969621405005455f,
                                 0.0010246039601042867f,  -0.001033499138429761f,
                                 -0.0002448887680657208f, 0.0001322640455327928f,
                                 5.501878695213236e-05f};  // c2 .. c10
};
template <>
struct GeluTail<double> {
  static constexpr double kK = 4, kMaxA = 40;
  static constexpr double kC0 = 0.7552851304157515, kC0Lo = -3.8649409939643665e-17;
  static constexpr double kC1 = -0.6078966419718921, kC1Lo = 2.7100993444798676e-18;
  static constexpr double kC[] = {
      0.3871374007422199,     -0.1865218579596623,     0.06039657489064385,
      -0.007540188966530889,  -0.0034796923611876795,  0.0016308184546660013,
      0.00013334424462303245, -0.00023109491496864772, -1.907823702236086e-06,
      3.5144625429199784e-05, 7.149144278740056e-07,   -5.920186397037244e-06,
      -6.251259216060743e-07, 1.022207254768024e-06,   2.6408156687641206e-07,
      -1.5702326000588482e-07, -7.724223601350653e-08, 1.6367377482282575e-08,
      1.4704834274675189e-08, -4.2753349860313886e-10, -1.236536846892026e-09};  // c2 .. c22
};

struct Gelu {
  // float32 natively on FMA targets, every mode (through float64 on SSE4
  // and scalar): f and f' share Prepare's exponential and R(a), and next to
  // the zero of f' a series keeps f' relative (SlopeNearZero).
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  template <class D>
  struct Kernel {
    using T = hn::TFromD<D>;
    using C = GeluTail<T>;
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // 1/sqrt(2 pi) as hi + lo.
    static constexpr T kInvSqrt2Pi = sizeof(T) == 4 ? T(0.3989422917366028)
                                                    : T(0.3989422804014327);
    static constexpr T kInvSqrt2PiLo = sizeof(T) == 4 ? T(-1.1335203e-08)
                                                      : T(-2.4923272022777433e-17);

    struct State {
      V<D> a;              // |x|, clamped to kMaxA
      hn::Mask<D> neg;     // x < 0
      ExpParts<D> parts;   // of -a^2/2: E = (n + n_lo) 2^q
      V<D> n, n_lo;
      V<D> r_hi, r_lo;     // R(a)
    };
    HWY_INLINE State Prepare(V<D> x) const {
      State s;
      s.neg = hn::Lt(x, hn::Zero(d));
      s.a = hn::Min(hn::Abs(x), hn::Set(d, C::kMaxA));
      V<D> sq_lo;
      const V<D> sq = TwoProduct(d, s.a, s.a, &sq_lo);
      const V<D> minus_half = hn::Set(d, T(-0.5));
      s.parts = ComputeExpPartsNonPositive(d, hn::Mul(sq, minus_half), hn::Mul(sq_lo, minus_half));
      s.n = s.parts.N(d);
      s.n_lo = s.parts.NLo(d);
      // a + K exactly, and t = (a - K) / (a + K) (only the polynomial's
      // argument: its rounding moves the point, not the value).
      const V<D> k = hn::Set(d, C::kK);
      V<D> ak_lo, am_lo;
      const V<D> ak = Fast2Sum<D>(hn::Max(s.a, k), hn::Min(s.a, k), &ak_lo);
      const V<D> am = TwoSum(d, s.a, hn::Neg(k), &am_lo);
      const V<D> rcp = Reciprocal(d, ak);
      // t corrected and its rounding kept in t_lo: S varies fastest near
      // t = -1, where t's rounding would move S(t) by up to 0.35 ULP (an
      // uncorrected quotient by 1 ULP), several times that where f'
      // cancels; S(t + t_lo) = S(t) + S'(t) t_lo.
      V<D> t_lo;
      const V<D> t = DivideRoundedHiLo(d, am, am_lo, ak, ak_lo, rcp, &t_lo);
      // S(t) by Horner, the last two steps compensated (their FMAs' exact
      // residuals and the leading coefficients' lo parts carried).
      constexpr size_t kN = sizeof(C::kC) / sizeof(C::kC[0]);
      V<D> p = hn::Set(d, C::kC[kN - 1]);
      for (size_t i = kN - 1; i-- > 0;) p = hn::MulAdd(p, t, hn::Set(d, C::kC[i]));
      const V<D> c1 = hn::Set(d, C::kC1), c0 = hn::Set(d, C::kC0);
      const V<D> w = hn::MulAdd(t, p, c1);
      const V<D> w_lo = hn::Add(ExactFma(d, t, p, hn::Sub(c1, w)), hn::Set(d, C::kC1Lo));
      const V<D> sv = hn::MulAdd(t, w, c0);
      V<D> sv_lo = ExactFma(d, t, w, hn::Sub(c0, sv));
      sv_lo = hn::Add(hn::MulAdd(t, w_lo, sv_lo), hn::Set(d, C::kC0Lo));
      // S'(t) ~ w + t p = c1 + 2 c2 t + 2 c3 t^2 + ...: within 9.1 % (float)
      // and 30 % (double) on t's range, plenty for a term below an ULP of S.
      sv_lo = hn::MulAdd(hn::MulAdd(t, p, w), t_lo, sv_lo);
      s.r_hi = DivideHiLo(d, sv, sv_lo, ak, ak_lo, rcp, &s.r_lo);
      return s;
    }
    // x < 0: f = x Q = x n R 2^q, scaled last; x >= 0: f = x (1 - Q), with
    // 1 - Q as hi + lo.
    HWY_INLINE V<D> Value(const State& s, V<D> x_in) const {
      using TT = hn::TFromD<D>;
      const V<D> huge = hn::Set(d, kHuge<TT>);
      const V<D> x = hn::Min(hn::Max(x_in, hn::Neg(huge)), huge);
      V<D> qn_lo;
      const V<D> qn = TwoProduct(d, s.n, s.r_hi, &qn_lo);
      qn_lo = hn::MulAdd(s.n_lo, s.r_hi, hn::MulAdd(s.n, s.r_lo, qn_lo));
      // The factor c = Q (unscaled, x < 0) or 1 - Q (x >= 0), as hi + lo.
      const V<D> q_hi = s.parts.Scale(qn);
      V<D> one_q_lo;
      const V<D> one_q = Fast2Sum<D>(hn::Set(d, 1), hn::Neg(q_hi), &one_q_lo);
      one_q_lo = hn::Sub(one_q_lo, s.parts.Scale(qn_lo));
      const V<D> c = hn::IfThenElse(s.neg, qn, one_q);
      const V<D> c_lo = hn::IfThenElse(s.neg, qn_lo, one_q_lo);
      V<D> f_lo;
      const V<D> f = TwoProduct(d, x, c, &f_lo);
      V<D> y = s.parts.ScaleWhere(s.neg, hn::Add(f, hn::MulAdd(x, c_lo, f_lo)));
      // Beyond kMaxA (R's range) f is below the smallest subnormal (-0); at
      // x = +inf (and beyond kHuge), f = x. For |x| < 2^-60, f = x/2 to far
      // below an ULP (x/sqrt(2 pi) relative); there f_lo would fall under
      // the subnormal range and be rounded a second time (1 ULP at x ~ 4e-38).
      const V<D> tiny = hn::Mul(x_in, hn::Set(d, TT(0.5)));
      y = hn::IfThenElse(hn::Lt(hn::Abs(x_in), hn::Set(d, TT(0x1p-60))), tiny, y);
      return hn::IfThenElse(hn::Lt(x, hn::Set(d, -C::kMaxA)), hn::Set(d, TT(-0.0)),
                            hn::IfThenElse(hn::Gt(x_in, huge), x_in, y));
    }
    // g f'(x). float32: within 1/4 of the zero of f' the series below
    // instead of the general form, whose cancellation there would cost
    // several ULP (float64 has the bounds' near-zero exception instead).
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D> x, G g) const {
      const V<D> general = SlopeGeneral(s, g);
      if constexpr (sizeof(T) == 4) {
        V<D> w_lo;
        V<D> w = SlopeNearZero(x, &w_lo);
        TimesHiLo(d, g, &w, &w_lo);
        const auto near = hn::Lt(hn::Abs(hn::Sub(x, hn::Set(d, kX0))), hn::Set(d, 0.25f));
        return hn::IfThenElse(near, hn::Add(w, w_lo), general);
      } else {
        return general;
      }
    }

    // f'(x) = Phi(x) + x phi(x) vanishes at x0 = -0.75179152469356446; around
    // it, f'(x0 + u) = u (c1 + c2 u + u^2 Q(u)), the Taylor series (c_k =
    // f^(k+1)(x0) / k!: mpmath at 60 digits; Q = c3 + ... + c10 u^7). On
    // |u| <= 1/4 its truncation and the coefficients' rounding to float stay
    // below 1.1e-9 of f' (mpmath on 801 points). c1 + c2 u is formed as hi +
    // lo (c2 u is up to 23 % of it: rounded, it cost 0.9 ULP at u = -0.24),
    // u^2 Q is below 2 % of f'. u = (x - x0_hi) - x0_lo - x0_lo2, the first
    // difference exact (Sterbenz), x0 in three floats (with two, f' at the
    // float nearest x0 was 0.58 ULP off: u is then -x0_lo itself); returned
    // as hi + *lo. Why 1/4: with 1/8 the general form reached 0.89 ULP just
    // outside; at 1/4, |f'| >= 0.084 there.
    static constexpr float kX0 = -0.7517915368080139f, kX0Lo = 1.211444988769017e-08f,
                           kX0Lo2 = -4.291324608861238e-16f;
    HWY_INLINE V<D> SlopeNearZero(V<D> x, V<D>* lo) const {
      static constexpr float kC1 = 0.43149399757385254f, kC1Lo = -5.259805480051227e-09f;
      static constexpr float kC2 = 0.38828498125076294f, kC2Lo = 1.7397890905712643e-09f;
      static constexpr float kQ[] = {  // c3 .. c10
          -0.018199676647782326f, -0.11400823295116425f,  -0.014771522022783756f,
          0.01942167989909649f,   0.00453922851011157f,   -0.002239538123831153f,
          -0.0007448268588632345f, 0.00018633974832482636f};
      V<D> u_lo;
      const V<D> u = Fast2Sum<D>(hn::Sub(x, hn::Set(d, kX0)), hn::Set(d, -kX0Lo), &u_lo);
      u_lo = hn::Sub(u_lo, hn::Set(d, kX0Lo2));
      constexpr size_t kN = sizeof(kQ) / sizeof(kQ[0]);
      V<D> q = hn::Set(d, kQ[kN - 1]);
      for (size_t i = kN - 1; i-- > 0;) q = hn::MulAdd(q, u, hn::Set(d, kQ[i]));
      // b = c1 + c2 u as hi + lo (|c2 u| < c1), the rest into its lo part.
      V<D> p_lo, b_lo;
      const V<D> p = TwoProduct(d, u, hn::Set(d, kC2), &p_lo);
      const V<D> b = Fast2Sum<D>(hn::Set(d, kC1), p, &b_lo);
      const V<D> rest = hn::MulAdd(hn::Mul(u, u), q, hn::MulAdd(u, hn::Set(d, kC2Lo), p_lo));
      b_lo = hn::Add(b_lo, hn::Add(rest, hn::Set(d, kC1Lo)));
      // u (b + b_lo) + u_lo b.
      const V<D> w = TwoProduct(d, u, b, lo);
      *lo = hn::MulAdd(u_lo, b, hn::MulAdd(u, b_lo, *lo));
      return w;
    }

    // x < 0: f' = E (R - a k); x >= 0: f' = 1 + E (a k - R), k = 1/sqrt(2 pi).
    // R - a k cancels near the zero of f' (x = -0.7518): both as hi + lo.
    template <class G>
    HWY_INLINE V<D> SlopeGeneral(const State& s, G g) const {
      V<D> ak_lo;
      const V<D> ak = TwoProduct(d, s.a, hn::Set(d, kInvSqrt2Pi), &ak_lo);
      ak_lo = hn::MulAdd(s.a, hn::Set(d, kInvSqrt2PiLo), ak_lo);
      V<D> m_lo;
      const V<D> m = TwoSum(d, s.r_hi, hn::Neg(ak), &m_lo);  // R - a k
      m_lo = hn::Add(hn::Sub(m_lo, ak_lo), s.r_lo);
      // E (R - a k) as n (m + m_lo) 2^q, times g.
      V<D> e_lo;
      V<D> e_hi = TwoProduct(d, s.n, m, &e_lo);
      e_lo = hn::MulAdd(s.n, m_lo, hn::MulAdd(s.n_lo, m, e_lo));
      TimesHiLo(d, g, &e_hi, &e_lo);
      const V<D> neg_val = s.parts.Scale(hn::Add(e_hi, e_lo));
      // x >= 0: g (1 - E m), 1 - E m with |E m| <= 1/2.
      V<D> sum_lo;
      const V<D> em = s.parts.Scale(e_hi);
      const V<D> one = Times(d, g, hn::Set(d, 1));
      const V<D> pos_hi = Fast2Sum<D>(one, hn::Neg(em), &sum_lo);
      // (For a finite g, |g| >= |g E m|; the sum's lo and E's lo parts.)
      const V<D> pos_val = hn::Add(pos_hi, hn::Sub(sum_lo, s.parts.Scale(e_lo)));
      return hn::IfThenElse(s.neg, neg_val, pos_val);
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_GELU_INL_H_
