// swish(x) = x * sigmoid(beta * x) (Ramachandran et al. 2017); silu is beta = 1.
#ifndef ACTIVATIONS_SWISH_SPEC_H_
#define ACTIVATIONS_SWISH_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kSwishParams[] = {
    {.name = "beta",
     .default_value = 1.0,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "slope of the gate sigmoid(beta * x); 0 gives x / 2, "
                    "large values approach relu"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
// z = beta x as z + zl (fmal: exact), since exp(-z) turns an error of z into
// a relative error |z| times as large: rounded once, it cost the oracle 0.18
// ULP of float64 at beta x = -527 (tools/mpfr_check, session 27).
// The rounding error of z = beta x, where exp(-(z + zl)) = exp(-z) (1 - zl)
// holds (|z| < 2^14; beyond, exp is 0 or inf in long double and the error
// may exceed 1).
inline long double SwishZLo(long double z, long double x, const double* p) {
  return std::fabs(z) < 0x1p14L ? std::fma(static_cast<long double>(p[0]), x, -z) : 0;
}
inline long double SwishReference(long double x, const double* p) {
  const long double z = p[0] * x, zl = SwishZLo(z, x, p);
  return x / (1 + std::exp(-z) * (1 - zl));
}
// The zero of f' in z: 1 + z0 + e^z0 = 0, z0 = -1 - W(1/e) as hi + lo
// (MPFR, 300 bits: -1.27846454276107379510935873902298...).
inline constexpr long double kSwishZ0Hi = -0xa.3a4b9e420905bf2p-3L;
inline constexpr long double kSwishZ0Lo = 0xa.2d0d94faaebb5bp-68L;
inline long double SwishReferenceDerivative(long double x, const double* p) {
  const long double z = p[0] * x, zl = SwishZLo(z, x, p);
  // s (1 - s) = e / (1 + e)^2 with e = exp(-|z|) (= 1 / (4 cosh^2(z/2))).
  const long double e = std::exp(-std::fabs(z)) * (1 - (z < 0 ? -zl : zl));
  const long double u = (z - kSwishZ0Hi) + (zl - kSwishZ0Lo);  // z - z0_hi exact (Sterbenz)
  if (std::fabs(u) < 0.5L) {
    // Within 1/2 of z0, f' = W0 e / (1 + e)^2 with W0 = 1 + z + e^z as
    // u ((1 + c) + c u P(u)), c = e^z0 = -(1 + z0), P(u) = sum u^k / (k +
    // 2)!: the direct sum s + z s (1 - s) cancels there, 2^-64 of its terms
    // relative to |f'| ~ |u| / 5 (29 ULP of float64 at beta = 0.3, x =
    // -4.2615, against MPFR, session 28: outside |x| < 4 no near-zero
    // exception covers it). 22 terms: u^22 / 24! < 2^-100 at |u| = 1/2.
    long double pu = 0;
    long double fact = 1;
    for (int k = 2; k <= 23; ++k) fact *= k;  // 23!
    for (int k = 21; k >= 0; --k) {
      pu = pu * u + 1 / fact;  // 1 / (k + 2)!
      fact /= k + 2;
    }
    const long double c = (-1 - kSwishZ0Hi) - kSwishZ0Lo;
    const long double w0 = u * ((-kSwishZ0Hi - kSwishZ0Lo) + c * u * pu);
    return w0 * e / ((1 + e) * (1 + e));
  }
  const long double s = 1 / (1 + std::exp(-z) * (1 - zl));
  return s + (z + zl) * e / ((1 + e) * (1 + e));
}
inline constexpr ActivationSpec kSwishSpec{
    .name = "swish",
    .formula = "f(x) = x * sigmoid(beta * x)",
    .derivative_formula = "f'(x) = s + beta * x * s * (1 - s), s = sigmoid(beta * x)",
    .params = kSwishParams,
    .output_range = {.min = -0.27846454276107380, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 2, .derivative = 2, .backward = 2},
    .ulp_float64 = {.forward = 2.5, .derivative = 3, .backward = 3,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "beta * x is formed exactly (two-product, beta split in two) so its "
             "rounding is not amplified by the exponential in the tail. float32 "
             "is native on FMA targets (through float64 on SSE4 and scalar), "
             "with a series within 1/2 of the zero of f' (beta*x = -1.2785), so "
             "float32 has no near-zero exception; float64 has the bounds' "
             "derivative_near_zero one.",
    .reference = {&SwishReference, &SwishReferenceDerivative},
    .pytorch = "none; input * torch.sigmoid(beta * input) (silu is beta = 1)",
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = beta
struct SwishNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x / (T(1) + std::exp(-static_cast<T>(p[0]) * x));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    const T beta = static_cast<T>(p[0]);
    const T s = T(1) / (T(1) + std::exp(-beta * x));
    return s + beta * x * s * (T(1) - s);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SWISH_SPEC_H_

#if defined(ACTIVATIONS_SWISH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SWISH_INL_H_
#undef ACTIVATIONS_SWISH_INL_H_
#else
#define ACTIVATIONS_SWISH_INL_H_
#endif
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// e^-x in float64 lanes on AVX-512 (silu's float32 slope, SwishKernel's
// SlopeWide), for x in [-160, 30]: e^-x = 2^(kj/16) e^-r, kj =
// round(-16 x / ln2) from the shifter 1.5 2^52 (VPERMT2PD reads the low four
// bits of its sum: j = kj mod 16), r = x + kj ln2/16 in one FMA (|r| <=
// ln2/32; ln2/16's rounding costs |kj| 2^-57 <= 2^-45), e^-r - 1 = -r + r^2
// P(r), P of degree 2 fitted (session 25: minimax of r^2 (P(r) - (e^-r - 1 +
// r) / r^2) on [-ln2/32, ln2/32], Lawson's weighted least squares on 4000
// Chebyshev nodes, 40-digit mpmath reference) to 2^-37.45 of e^-r (the
// degree-3 Taylor P of session 24 reached 2^-42.7 for one FMA more),
// 2^floor(kj/16) T[j] by VSCALEFPD, T[j] = 2^(j/16) (math-inl.h's
// kTwoToJ16, shared with ExpNonPositiveForFloatTable): relative error about
// 2^-37.4.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
template <class DW>
HWY_INLINE V<DW> ExpNegForSilu(DW dw, V<DW> x) {
  static_assert(hn::MaxLanes(DW()) == 8 && sizeof(hn::TFromD<DW>) == 8, "full float64 vectors");
  static constexpr double kExpNegPoly[] = {0.4999999998239867, -0.16667005190604245,
                                           0.04166770960347882};
  // t = -x / ln2 + 1.5 2^48 rounds to a multiple of 1/16 (its ULP): t =
  // 1.5 2^48 + kj / 16, the same kj as -16 x / ln2 + 1.5 2^52 rounded to an
  // integer (-16 / ln2 is -1 / ln2's float64 scaled by 2^4: the same exact
  // sums, scaled), and the same low mantissa bits (2^51 + kj). kj / 16 =
  // t - 1.5 2^48 exactly (a subtraction: the add pipes, not the FMA's);
  // r = kj/16 ln2 + x is kj (ln2 / 16) + x with the same product (ln2 / 16
  // is ln2's float64 scaled by 2^-4).
  const V<DW> shifter = hn::Set(dw, 0x1.8p48);
  const V<DW> t = hn::MulAdd(x, hn::Set(dw, -1.4426950408889634), shifter);  // -1 / ln2
  const V<DW> kj16 = hn::Sub(t, shifter);
  const V<DW> r = hn::MulAdd(kj16, hn::Set(dw, 0.6931471805599453), x);  // ln2
  const V<DW> tj{_mm512_permutex2var_pd(hn::Load(dw, kTwoToJ16).raw, _mm512_castpd_si512(t.raw),
                                        hn::Load(dw, kTwoToJ16 + 8).raw)};
  const V<DW> scale = Scalef(dw, tj, kj16);  // 2^floor(kj/16)
  const V<DW> pm1 = hn::MulSub(hn::Mul(r, r), Horner(dw, r, kExpNegPoly), r);
  return hn::MulAdd(scale, pm1, scale);
}
#endif

// x sigmoid(beta x) and its derivative; shared with Silu (kUnitBeta: beta =
// 1, z = x exactly). kExtremeBeta: Swish's rare kernel, for a beta outside
// [2^-kBetaExp, 2^kBetaExp] (Swish below), chosen once per call by the
// driver, so the common kernel tests nothing per vector for it.
template <class D, bool kUnitBeta, bool kExtremeBeta = false>
struct SwishKernel {
  using T = hn::TFromD<D>;
  D d;
  // beta = beta_hi + beta_lo: in float32 the rounding of beta itself would
  // otherwise be amplified by exp in the tail (40 ULP at z = -87). With an
  // extreme beta = m 2^e (m in [1/2, 1)), these hold m, and x is scaled by
  // 2^e = x_scale1 x_scale2 before the product: beta itself may be 0 or inf
  // in float32 lanes (1e-300, 1e300), and beta x exact where it matters
  // (|z| > 2^-122), +-inf at x = +-inf, and its split (targets without
  // FMA) cannot overflow for x above 1e300 at a tiny beta.
  V<D> beta, beta_lo;
  V<D> x_scale1, x_scale2;
  // beta = 1 (the default) at run time: z = x exactly, the unit path, with
  // the same bits as the general one (z_lo = 0 there) for less work.
  bool unit_beta;
  // (Extreme beta.) |x| is clamped to this before beta x is formed: +inf for
  // beta > 0, so that x beyond kHuge (or inf) still gives beta x (with beta
  // = 1e-300, x = -1e300 is z = -1, x = -inf is z = -inf: f = -0); kHuge for
  // beta = 0, where inf * 0 would be NaN (f = x / 2 there).
  V<D> x_limit;
  // float64 without VSCALEF (the Logistic path): the zero of f', at x = z0 /
  // beta (z0 = -1.2785), lies outside the contract's near-zero window (|x| <
  // 4) for |beta| below about 0.32, so the slope takes W0's series around it
  // there (SeriesNearZeroDouble; 24 ULP at beta = 0.3 before session 25).
  bool series_near_z0;
  SwishKernel(D d_in, double b)
      : d(d_in),
        unit_beta(!kExtremeBeta && b == 1.0),
        series_near_z0(kExtremeBeta || (b != 1.0 && std::fabs(b) < 0.5)) {
    if constexpr (kExtremeBeta) {
      int e = 0;
      const double m = std::frexp(b, &e);
      // float32: beyond 2^+-250, |z| is above every tail or below 2^-122
      // for every nonzero finite float x either way.
      if constexpr (sizeof(T) == 4) e = std::clamp(e, -250, 250);
      beta = hn::Set(d, static_cast<T>(m));
      beta_lo = hn::Set(d, static_cast<T>(m - static_cast<T>(m)));
      x_scale1 = hn::Set(d, static_cast<T>(std::ldexp(1.0, e / 2)));
      x_scale2 = hn::Set(d, static_cast<T>(std::ldexp(1.0, e - e / 2)));
      x_limit = hn::Set(d, b > 0 ? std::numeric_limits<T>::infinity() : kHuge<T>);
    } else {
      beta = hn::Set(d, static_cast<T>(b));
      beta_lo = hn::Set(d, static_cast<T>(b - static_cast<T>(b)));
    }
  }

  // VSCALEF (AVX-512) and an ordinary beta: the scaled form (ScaledState
  // below), float32 and (since session 22) float64, whose slope has no
  // series at f''s zero (its bounds' near-zero exception covers it); other
  // targets and an extreme beta: the Logistic's pieces (GateState).
  static constexpr bool kScaled = kHaveScalef && !kExtremeBeta;
  // The scaled Value gives x itself (every bit) in NaN lanes, so the
  // driver's forward skips its NaN restore (kernels.cc, ValueKeepsNaN).
  static constexpr bool kValueKeepsNaN = kScaled;

  struct GateState {
    V<D> z, z_lo;  // beta x exactly, clamped to +-kHuge
    Logistic<D> gate;
  };

  // sigmoid(z) with no branch on the sign of z. With e^-z = n 2^-k,
  // k = round(z / ln 2), n = e^u in [0.70, 1.42] (u = k ln 2 - z), and
  // den = n + 2^k = 2^k (1 + e^-z):
  //   x sigmoid(z) = 2^k (x / den),
  //   f'(x) = sigmoid(z) (1 + z (1 - sigmoid(z))) = 2^k (den + z n) / den^2,
  // each one corrected quotient scaled by 2^k last (VSCALEF: one rounding,
  // into the subnormal range too), so f and g f' stay accurate where
  // sigmoid(z) alone underflows. z is clamped to [kZMin, kZMax]: above 30,
  // sigmoid(z) = 1 - 9e-14 rounds f to x and f' to 1 (and den^2 <= 2^88
  // cannot overflow); below -160, |x| e^z 2^64 (|x| <= 2^76, the clamp of
  // the numerator x, or |x| <= |z| 2^64 where z is not clamped, beta >=
  // 2^-64) is below half of denorm_min, so f and g f' are 0 there.
  // float64: above 50, (z - 1) e^-z < 2^-66 (f' rounds to 1, f to x; den^2
  // <= 2^146); below -1200, |x| e^z 2^512 (|x| <= 2^600, the clamp of num,
  // or |x| <= |z| 2^512, beta >= 2^-512) is below 2^-1100, so f and g f'
  // (|g| <= 2^512) are 0 there.
  static constexpr T kZMin = sizeof(T) == 4 ? T(-160) : T(-1200);
  static constexpr T kZMax = sizeof(T) == 4 ? T(30) : T(50);
  static constexpr T kNumMin = [] {
    if constexpr (sizeof(T) == 4) {
      return -0x1p76f;
    } else {
      return -0x1p600;
    }
  }();
  struct ScaledState {
    V<D> num;        // x, clamped below (to kZMin for silu, -2^76 otherwise)
    V<D> zc, z_lo;   // z = beta x + z_lo exactly, zc: z clamped
    V<D> k;          // round(zc / ln 2) (float64: kj / 16, VSCALEF floors it)
    V<D> n;          // e^-zc 2^k, rounded
    V<D> den;        // n + 2^k, rounded
    V<D> n_lo;       // e^-(z + z_lo) 2^k - n, n's rounding and z_lo (float32's forward)
    V<D> den_lo;     // n + 2^k - den, with n_lo (float64's forward)
    V<D> n_lo_ext;   // e^-(z + z_lo) 2^k - n to about 2^-31 of n (the derivative's)
    V<D> den_lo_ext; // den_lo with n_lo_ext
    V<D> rcp;        // ~1 / den
  };
  HWY_INLINE ScaledState PrepareScaled(V<D> x) const {
    using Tr = FloatTraits<T>;
    ScaledState s;
    const V<D> one = hn::Set(d, T(1));
    if (kUnitBeta || unit_beta) {
      s.num = hn::Max(x, hn::Set(d, kZMin));
      s.zc = hn::Min(s.num, hn::Set(d, kZMax));
      s.z_lo = hn::Zero(d);
    } else {
      V<D> z_lo;
      const V<D> z = TwoProductClamped(d, beta, x, &z_lo);
      s.zc = hn::Min(hn::Max(z, hn::Set(d, kZMin)), hn::Set(d, kZMax));
      // z_lo only where z is not clamped (beyond, it may be far above 1).
      s.z_lo = hn::IfThenElseZero(hn::Eq(z, s.zc), hn::MulAdd(beta_lo, ClampHuge(d, x), z_lo));
      s.num = hn::Max(x, hn::Set(d, kNumMin));
    }
    if constexpr (sizeof(T) == 8) {
      // float64 (session 26, kernels43): n = 2^(-j/16) e^u from the table
      // (math-inl.h, ExpNegTable16), k = kj / 16 (VSCALEF floors it), n's
      // rounding in n_lo; the rest of n's error (about 2^-57.5, where
      // session 25's degree-9 polynomial on |u| <= ln2/2 and the
      // uncarried Cody-Waite and FMA roundings left up to 2^-53.7) is
      // not carried.
      s.n = ExpNegTable16(d, s.zc, &s.k, &s.n_lo);
      if constexpr (!kUnitBeta) s.n_lo = hn::NegMulAdd(s.n, s.z_lo, s.n_lo);
      s.n_lo_ext = s.n_lo;
    } else {
      // Cody-Waite as in ComputeExpParts, for u = -r' = k ln 2 - z directly
      // (the first step exact), u_lo the second step's rounding.
      s.k = hn::Round(hn::Mul(s.zc, hn::Set(d, T(1.4426950408889634))));
      const V<D> u1 = hn::MulSub(s.k, hn::Set(d, Tr::kLn2Hi), s.zc);
      const V<D> u = hn::MulAdd(s.k, hn::Set(d, Tr::kLn2Lo), u1);
      const V<D> u_lo = hn::MulAdd(s.k, hn::Set(d, Tr::kLn2Lo), hn::Sub(u1, u));
      // e^u = 1 + pm1 (+ pm1_lo, the last FMA's rounding: u - pm1 is exact).
      const V<D> poly = ExpReducedPoly(d, u);
      const V<D> pr = hn::Mul(poly, u);
      const V<D> pm1 = hn::MulAdd(pr, u, u);
      const V<D> pm1_lo = hn::MulAdd(pr, u, hn::Sub(u, pm1));
      s.n = hn::Add(pm1, one);
      // n's rounding (exact: |pm1| < 1), then e^-z_lo = 1 - z_lo.
      s.n_lo = hn::Add(hn::Sub(one, s.n), pm1);
      if constexpr (!kUnitBeta) s.n_lo = hn::NegMulAdd(s.n, s.z_lo, s.n_lo);
      // (float32: pm1's and the Cody-Waite step's roundings carried too:
      // 2^-31 of n near z0.)
      s.n_lo_ext = hn::MulAdd(s.n, u_lo, hn::Add(s.n_lo, pm1_lo));
    }
    // den + lo = n + 2^k exactly (Fast2Sum, the larger first).
    const V<D> p = Scalef(d, one, s.k);
    s.den = hn::Add(s.n, p);
    const V<D> sum_lo = hn::Add(hn::Sub(hn::Max(s.n, p), s.den), hn::Min(s.n, p));
    s.den_lo = hn::Add(sum_lo, s.n_lo);
    s.den_lo_ext = hn::Add(sum_lo, s.n_lo_ext);
    s.rcp = Reciprocal(d, s.den);
    return s;
  }

  HWY_INLINE auto Prepare(V<D> x) const {
    if constexpr (kScaled) {
      return PrepareScaled(x);
    } else {
      return PrepareGate(x);
    }
  }

  HWY_INLINE GateState PrepareGate(V<D> x) const {
    const V<D> xc = ClampHuge(d, x);
    if (kUnitBeta || (!kExtremeBeta && unit_beta)) {
      return {xc, hn::Zero(d), Logistic<D>(d, xc)};
    } else {
      V<D> xs = x;
      if constexpr (kExtremeBeta) {
        xs = hn::Mul(hn::Mul(hn::Min(hn::Max(x, hn::Neg(x_limit)), x_limit), x_scale1),
                     x_scale2);
      }
      V<D> z_lo;
      const V<D> z = TwoProductClamped(d, beta, xs, &z_lo);
      if constexpr (!HWY_NATIVE_FMA) {
        // The Veltkamp split of x overflows above ~1e300 (NaN lo): z is
        // then the rounded product, within 2^-53 (0.4 ULP more at the end
        // of the tail, |z| = 745).
        z_lo = hn::IfThenElseZero(hn::IsFinite(z_lo), z_lo);
      }
      z_lo = hn::MulAdd(beta_lo, kExtremeBeta ? ClampHuge(d, xs) : xc, z_lo);
      return {z, z_lo, Logistic<D>(d, z, z_lo)};
    }
  }
  // x sigmoid(z). For an ordinary beta, z is beyond the tails wherever x is
  // beyond kHuge (2^-64 1e30 > 1e10 in float32; 2^-512 1e290 > 1e135), so
  // MulSigmoidAny, as the unit path. With an extreme beta < 1, z is
  // moderate for x beyond kHuge (beta = 1e-300, x = -1.2e303: f = -7e-217),
  // where MulSigmoidAny would multiply plainly by a sigmoid(z) that
  // underflowed: there x 2^-64 sigmoid(z) 2^64 instead (finite x; exact but
  // where x 2^-64 sigmoid(z) is subnormal).
  template <class S>
  HWY_INLINE V<D> Value(const S& s, V<D> x) const {
    if constexpr (kScaled) {
      // x / den corrected once (0.5 ULP + 2^-28), the error of n (pm1's
      // and r's roundings, about 0.6 ULP, uncarried here) entering once
      // for z < 0 and at most half for z >= 0. float64 corrects by den_lo
      // (den's and n's roundings, and z_lo); float32 (session 23) by n_lo
      // alone (n's rounding, and z_lo: 40 ULP in swish's tail without it):
      // den's own rounding (half an ULP of den) enters f once, within the
      // bound of 2, for 5 instructions of the forward's 38 (the Fast2Sum).
      // x = +inf gives inf / inf in the residual, and NaN x NaN: f = x in
      // both, x's own bits (one compare, false for NaN: kValueKeepsNaN).
      // (DivideCorrected<false>, its residual as one NegMulAdd.)
      const V<D> t0 = hn::Mul(s.num, s.rcp);
      const V<D> res = hn::NegMulAdd(t0, sizeof(T) == 4 ? s.n_lo : s.den_lo,
                                     hn::NegMulAdd(t0, s.den, s.num));
      const V<D> t = hn::MulAdd(res, s.rcp, t0);
      return hn::IfThenElse(hn::Lt(x, hn::Set(d, std::numeric_limits<T>::infinity())),
                            Scalef(d, t, s.k), x);
    } else if constexpr (!kExtremeBeta) {
      return s.gate.MulSigmoidAny(d, x);
    } else {
      const V<D> k = hn::Set(d, kHuge<T>);
      const auto huge = hn::Gt(hn::Abs(x), k);
      const auto deep = hn::Lt(s.z, hn::Set(d, kDeepZ));
      V<D> t = s.gate.MulSigmoid(d, hn::Min(hn::Max(x, hn::Neg(k)), k));
      if (HWY_LIKELY(hn::AllFalse(d, hn::Or(huge, deep)))) return t;
      t = hn::IfThenElse(huge,
                         hn::Mul(s.gate.MulSigmoid(d, hn::Mul(x, hn::Set(d, T(0x1p-64)))),
                                 hn::Set(d, T(0x1p64))),
                         t);
      if (!hn::AllFalse(d, deep)) t = hn::IfThenElse(deep, DeepTail(s, x), t);
      return hn::IfThenElse(hn::IsFinite(x), t, s.gate.MulSigmoidAny(d, x));
    }
  }
  // Two vectors, each Value's bits (float32 on AVX-512, the scaled form):
  // both states first, then both quotients, one loop body for two vectors
  // (kernels.cc, LoopForwardPairs; session 30, kernels52).
  HWY_INLINE void ValuePair(V<D> x0, V<D> x1, V<D>* y0, V<D>* y1) const
    requires(kScaled && sizeof(T) == 4)
  {
    ScaledState s0 = PrepareScaled(x0);
    ScaledState s1 = PrepareScaled(x1);
    ComputedBefore(s0.rcp, s1.rcp);
    *y0 = Value(s0, x0);
    *y1 = Value(s1, x1);
  }
  // (Extreme beta.) x sigmoid(z) for z < kDeepZ, where 1 + e^z is 1 (to
  // 2^-1000 of itself in float64, 2^-120 in float32) and f = x e^z: as (x
  // 2^-K) e^(z + K ln 2), one rounding into the subnormal range (MulExp).
  // Where z is that low, |x| > 745 2^512 (float64; 88 2^64 in float32) for
  // a tiny beta, so x 2^-K is normal, or |x| < 2^-500 (2^-57) for a huge
  // one, where f is 0 either way. Replaces (session 25) the two roundings
  // of x 2^-64 sigmoid(z) 2^64 beyond kHuge (the first into the subnormal
  // range: 4 ULP at beta = 1e-300, x = -1.37e303) and, without VSCALEF,
  // the zero below ComputeExpParts' kExpMin (z < -1400 in float64, where x
  // e^z is still up to 1e-305 for x = -1.4e303).
  static constexpr T kDeepZ = sizeof(T) == 4 ? T(-88) : T(-745);
  HWY_INLINE V<D> DeepTail(const GateState& s, V<D> x) const {
    // K ln 2 as hi + lo (mpmath): K = 1000 (float64), 120 (float32).
    constexpr T kShift = sizeof(T) == 4 ? T(0x1p-120f) : T(0x1p-1000);
    constexpr T kLnHi = sizeof(T) == 4 ? T(83.17765808105469f) : T(693.1471805599454);
    constexpr T kLnLo = sizeof(T) == 4 ? T(3.5861387e-6f) : T(-4.5199270178446646e-14);
    V<D> a_lo;
    V<D> a = TwoSum(d, s.z, hn::Set(d, kLnHi), &a_lo);
    a_lo = hn::Add(a_lo, hn::Add(s.z_lo, hn::Set(d, kLnLo)));
    a = Fast2Sum<D>(a, a_lo, &a_lo);
    return ComputeExpParts(d, a, a_lo).MulExp(d, hn::Mul(x, hn::Set(d, kShift)));
  }
  // g f'(x) = g (sigmoid(z) + z sigmoid'(z)), g multiplied in before the
  // final scaling. With e = exp(-|z|) = n 2^q and D = 1 + e,
  //   f' = m W / D^2,  W = D + z k,  (m, k) = (1, e) for z >= 0, (e, 1) for z < 0,
  // so both signs take one path: W and m W as hi + lo, one corrected
  // division by D^2, the scaling by 2^q last (g f' stays accurate where f'
  // alone is subnormal). float32 (FMA targets) has its own path, float64
  // the Logistic's SigmoidPlusSlope.
  template <class S, class G>
  HWY_INLINE V<D> Slope(const S& s, V<D> x, G g) const {
    if constexpr (kWideSlope) {
      return SlopeWide(x, g);
    } else if constexpr (kScaled) {
      return SlopeScaled(s, g);
    } else if constexpr (sizeof(T) == 4) {
      return SlopeFloat(s, g);
    } else {
      // z clamped below at -kScaledFactorMax (lo zeroed), far below
      // kExpMin where g f' is 0, so that g (D + z) stays finite (Logistic's
      // SigmoidPlusSlope; NaN at x = -2^600, g = 2^500 before).
      const V<D> k = hn::Set(d, -kScaledFactorMax<T>);
      const auto far = hn::Lt(s.z, k);
      const V<D> zc = hn::IfThenElse(far, k, s.z);
      const V<D> zc_lo = hn::IfThenZeroElse(far, s.z_lo);
      if (!kUnitBeta && series_near_z0) {
        // The zero of f' is at x = z0 / beta, outside the contract's
        // near-zero window (|x| < 4) at a small beta (series_near_z0): the
        // series there (SeriesNearZeroDouble).
        const auto near = hn::Lt(hn::Abs(hn::Sub(s.z, hn::Set(d, T(kZ0Hi)))),
                                 hn::Set(d, T(kSeriesWindowDouble)));
        if (HWY_UNLIKELY(!hn::AllFalse(d, near))) {
          V<D> w_lo;
          const V<D> w = SeriesNearZeroDouble(s.z, s.z_lo, &w_lo);
          return s.gate.SigmoidPlusSlope(d, zc, zc_lo, g, &near, w, w_lo);
        }
      }
      return s.gate.SigmoidPlusSlope(d, zc, zc_lo, g);
    }
  }

  // float64, extreme or small beta (session 25): W0 = 1 + z + e^z near its zero z0
  // = -1.27846..., where the sum's terms cancel: the exponential's error
  // (about 2^-53 of e^z0 = 0.278) relative to |W0| ~ 1.28 |z - z0| reached
  // 29 ULP of f' at z - z0 = 0.0026 (x = -1.2759e300, beta = 1e-300). As
  // SeriesNearZero: with u = z + z_lo - z0, W0 = u ((1 + c) + c u P(u)),
  // c = e^z0 = -(1 + z0), P(u) = sum u^k / (k + 2)! for k <= 16 (the rest,
  // c |u|^17 / 19! 1.1, below 2^-56 of the bracket for |u| <= 1). Outside
  // the window (|u| >= 1), the exponential's error reaches f' times 0.22 /
  // |u|: below a fifth of an ULP more. Returns W0 as hi + *lo.
  static constexpr double kZ0Hi = -1.2784645427610737;
  static constexpr double kZ0Lo = -1.0946994183093437e-16;  // (mpmath)
  static constexpr double kSeriesWindowDouble = 1.0;
  HWY_INLINE V<D> SeriesNearZeroDouble(V<D> z, V<D> z_lo, V<D>* w_lo) const {
    static_assert(sizeof(T) == 8, "float64 only");
    static constexpr double kP[] = {
        1.0 / 2,
        1.0 / 6,
        1.0 / 24,
        1.0 / 120,
        1.0 / 720,
        1.0 / 5040,
        1.0 / 40320,
        1.0 / 362880,
        1.0 / 3628800,
        1.0 / 39916800,
        1.0 / 479001600,
        1.0 / 6227020800,
        1.0 / 87178291200,
        1.0 / 1307674368000,
        1.0 / 20922789888000,
        1.0 / 355687428096000,
        1.0 / 6402373705728000,
    };
    // u = z - z0 as hi + lo (z - z0_hi is not exact for z above z0 / 2).
    V<D> u_lo;
    V<D> u = TwoSum(d, z, hn::Set(d, -kZ0Hi), &u_lo);
    u_lo = hn::Add(u_lo, hn::Sub(z_lo, hn::Set(d, kZ0Lo)));
    u = Fast2Sum<D>(u, u_lo, &u_lo);
    // (1 + c) + c u P(u) = b_hi + b_lo, b_hi = -z0_hi.
    const V<D> b_hi = hn::Set(d, -kZ0Hi);
    const V<D> b_lo = hn::MulAdd(hn::Mul(hn::Set(d, 0.27846454276107380), u), Horner(d, u, kP),
                                 hn::Set(d, -kZ0Lo));
    V<D> ws_lo;
    const V<D> ws = TwoProduct(d, u, b_hi, &ws_lo);
    ws_lo = hn::MulAdd(u, b_lo, hn::MulAdd(u_lo, b_hi, ws_lo));
    return Fast2Sum<D>(ws, ws_lo, w_lo);
  }

  // float32. For z < 0, W = 1 + z + e vanishes at z0 = -1.27846 (the zero
  // of f'), where the error of e (about an ULP) would be amplified by e / W.
  // Within 1/2 of z0, W = u B(u) instead, u = z - z0 (exact: Sterbenz, and
  // z0's and z's lo parts in u_lo) and B(u) = (1 + c) + c u P(u), P(u) =
  // sum u^k / (k + 2)! for k < 7, c = e^z0 = -(1 + z0): the Taylor series of
  // 1 + z + e^z at z0, truncated below 2^-28 of B. At |u| = 1/2, e / W <=
  // 0.7, so beyond the window e's error reaches f' at most once (it enters
  // f' as a factor for z < 0 anyway). e's error is halved by carrying n's
  // rounding (n_lo, exact). Measured (ulp_survey, all targets): 1.02 ULP
  // (silu derivative), 1.07 (backward), 1.22 / 1.27 (swish, beta = 1.7).
  // z + z_lo - z0 as hi + *lo (exact) and W0 = 1 + z + e^z = u B(u) as
  // hi + *w_lo near z0 (|u| < 1/2): SlopeFloat's series, shared with
  // SlopeScaled.
  HWY_INLINE V<D> SeriesNearZero(V<D> z, V<D> z_lo, V<D>* w_lo, V<D>* u_out = nullptr) const {
    // z0 = -1.2784645427610737951 (mpmath) as hi + lo floats (the rest,
    // 1.1e-16, is 2^-27 of u at the float nearest z0 and below 2^-29
    // elsewhere); 1 + c = -z0, c = e^z0 rounded to float.
    const V<D> z0 = hn::Set(d, -1.2784645557403564f);
    const V<D> z0_lo = hn::Set(d, 1.2979282537628478e-08f);
    // u = z - z0 as hi + lo, lo below an ULP of hi (z is a float near z0,
    // so z - z0_hi is 0 or at least 2^-24).
    V<D> u_lo = kUnitBeta ? hn::Neg(z0_lo) : hn::Sub(z_lo, z0_lo);
    const V<D> u = Fast2Sum<D>(hn::Sub(z, z0), u_lo, &u_lo);
    if (u_out != nullptr) *u_out = u;
    V<D> p = hn::MulAdd(u, hn::Set(d, 1.0f / 40320), hn::Set(d, 1.0f / 5040));
    p = hn::MulAdd(u, p, hn::Set(d, 1.0f / 720));
    p = hn::MulAdd(u, p, hn::Set(d, 1.0f / 120));
    p = hn::MulAdd(u, p, hn::Set(d, 1.0f / 24));
    p = hn::MulAdd(u, p, hn::Set(d, 1.0f / 6));
    p = hn::MulAdd(u, p, hn::Set(d, 0.5f));
    const V<D> b_lo = hn::MulAdd(hn::Mul(hn::Set(d, 0.27846455574035645f), u), p, hn::Neg(z0_lo));
    const V<D> b_hi = hn::Neg(z0);
    const V<D> ws = TwoProduct(d, u, b_hi, w_lo);
    *w_lo = hn::MulAdd(u, b_lo, hn::MulAdd(u_lo, b_hi, *w_lo));
    return ws;
  }

  // SlopeScaled's W = den + z n replaced by n W0 (W0 from the type's series
  // around z0: SeriesNearZero, SeriesNearZeroDouble) as hi + lo in the
  // lanes within `window` of z0 (`z0` a float near it); a rare branch.
  HWY_INLINE void WithSeriesNearZ0(const ScaledState& s, T z0, T window, V<D>* w,
                                   V<D>* w_lo) const {
    const auto near = hn::Lt(hn::Abs(hn::Sub(s.zc, hn::Set(d, z0))), hn::Set(d, window));
    if (HWY_UNLIKELY(!hn::AllFalse(d, near))) {
      V<D> w0_lo;
      V<D> w0;
      if constexpr (sizeof(T) == 4) {
        w0 = SeriesNearZero(s.zc, s.z_lo, &w0_lo);
      } else {
        w0 = SeriesNearZeroDouble(s.zc, s.z_lo, &w0_lo);
      }
      V<D> wn_lo;
      const V<D> wn = TwoProduct(d, s.n, w0, &wn_lo);
      wn_lo = hn::MulAdd(s.n, w0_lo, hn::MulAdd(s.n_lo_ext, w0, wn_lo));
      *w = hn::IfThenElse(near, wn, *w);
      *w_lo = hn::IfThenElse(near, wn_lo, *w_lo);
    }
  }
  // g f' in the scaled form (kScaled): W = den + z n as hi + lo: float32
  // exactly (TwoProduct, TwoSum), float64 one FMA (rounded once: 0.5 ULP
  // of W, not amplified), the errors of n and den carried in the lo part,
  // so what remains of W's error is n's carried error's own error
  // (n_lo_ext: about 2^-31 of n near z0 in float32, the polynomial's
  // truncation and roundings) times the amplification |z n| / |W| of the
  // cancellation at the zero of f', z0 = -1.27846 (about 0.22 / |z - z0|).
  // float32: within kSeriesWindow of z0 (where that would exceed 2^5, i.e.
  // 2^-26), W = n W0 from SlopeFloat's series instead; a rare branch (x ~
  // N(0, 3): 6 % of the vectors of 16). Then g W / (den + den_lo_ext)^2,
  // one corrected division (float32: r with one Newton step, as SlopeFloat;
  // float64, session 26: g W / q by VDIVPD, then the lo parts, below),
  // scaled by 2^k.
  static constexpr float kSeriesWindow = 1.0f / 64;
  // A tiny g (|g| below about 2^-950 / 2^-83: the quotient g W / den^2,
  // about g 2^-k for z > 0 with k up to 72 / 43, rounded as a subnormal
  // before the scaling by 2^k brought it back up: silu, float64, x = 50, g =
  // 1e-300 gave 1.0033e-300, 2e13 ULP, session 28) reaches this slope scaled
  // up to |g| >= 2^-52 (float32) / 2^-194 by the driver (kernels.cc,
  // BackwardRare, below 2^-80 / 2^-900), so that quotient stays normal.
  template <class G>
  HWY_INLINE V<D> SlopeScaled(const ScaledState& s, G g) const {
    const V<D> k = s.k;
    V<D> w, w_lo;
    if constexpr (sizeof(T) == 4) {
      // float32: exactly (the FMA's 0.5 ULP of W would reach 1.52 ULP in
      // f', above silu's bound of 1.5: session 22's certify --stride=17).
      V<D> zn_lo;
      const V<D> zn = TwoProduct(d, s.zc, s.n, &zn_lo);
      w = TwoSum(d, s.den, zn, &w_lo);
      w_lo = hn::MulAdd(s.zc, s.n_lo_ext, hn::Add(w_lo, hn::Add(s.den_lo_ext, zn_lo)));
    } else {
      w = hn::MulAdd(s.zc, s.n, s.den);
      w_lo = hn::MulAdd(s.zc, s.n_lo_ext, s.den_lo_ext);
    }
    if constexpr (!kUnitBeta) w_lo = hn::MulAdd(s.z_lo, s.n, w_lo);
    // Near z0, W = n W0 from the series: float32 always (kSeriesWindow);
    // float64 at a small beta (series_near_z0): the zero of f', at x = z0 /
    // beta, lies outside the contract's near-zero window (|x| < 4), and
    // den + z n cancels there (329 ULP at beta = 0.3, x = -4.2615 before
    // session 28: tools/mpfr_check --param-sets; the gate path has had the
    // series since session 25). (float64 at beta = 1 or above 1/2: no
    // series. Its error near z0 is 2^-53 of |z n| + den, in absolute terms
    // far below the bounds' 4 ULP of 1 there, and z0 / beta is inside |x| <
    // 4.)
    if constexpr (sizeof(T) == 4) {
      WithSeriesNearZ0(s, T(-1.2784645557403564f), T(kSeriesWindow), &w, &w_lo);
    } else if constexpr (!kUnitBeta) {
      if (series_near_z0) WithSeriesNearZ0(s, T(kZ0Hi), T(kSeriesWindowDouble), &w, &w_lo);
    }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    if constexpr (sizeof(T) == 8) {
      // float64 (session 26, kernels43): t0 = g W / den^2 by one division
      // (0.5 ULP), then the lo parts, t0 + (w_lo - t0 q_lo) / q with 1 / q
      // by VRCP14PD (2^-14 of a term below 2^-40 of t0); the division's own
      // residual (w - t0 q) is not carried: 0.5 ULP more than a corrected
      // division, for 2 operations and about 13 cycles of latency fewer
      // (certify: docs/accuracy.md).
      TimesHiLo(d, g, &w, &w_lo);
      V<D> q_lo;
      const V<D> q = TwoProduct(d, s.den, s.den, &q_lo);
      q_lo = hn::MulAdd(hn::Add(s.den, s.den), s.den_lo_ext, q_lo);
      const V<D> t0 = hn::Div(w, q);
      const V<D> rq{_mm512_rcp14_pd(q.raw)};
      return Scalef(d, hn::MulAdd(hn::NegMulAdd(t0, q_lo, w_lo), rq, t0), k);
    }
#endif
    TimesHiLo(d, g, &w, &w_lo);
    V<D> r = s.rcp;
    if constexpr (kReciprocalFloatApproximate && sizeof(T) == 4) {
      r = hn::MulAdd(r, hn::NegMulAdd(s.den, r, hn::Set(d, T(1))), r);
    }
    // DivideBySquare, its residual as one NegMulAdd.
    V<D> q_lo;
    const V<D> q = TwoProduct(d, s.den, s.den, &q_lo);
    q_lo = hn::MulAdd(hn::Add(s.den, s.den), s.den_lo_ext, q_lo);
    const V<D> r2 = hn::Mul(r, r);
    const V<D> t0 = hn::Mul(w, r2);
    const V<D> res = hn::NegMulAdd(t0, q_lo, hn::Add(hn::NegMulAdd(t0, q, w), w_lo));
    return Scalef(d, hn::MulAdd(res, r2, t0), k);
  }

  // silu (unit beta) float32 on AVX-512 (session 24): g f' in float64
  // lanes, two halves of 8, from x alone: e = e^-x (16-entry table and
  // a degree-4 polynomial, ExpNegForSilu), den = 1 + e, W = den + e x = 1 + e (1
  // + x) (one FMA), f' = W / den^2 by one division,
  // times g, rounded once to float32. e's relative error (about 2^-37.4)
  // reaches f' times the cancellation e |1 + x| / |W| at the zero of f',
  // z0 = -1.27846 (about 0.44 / |x - z0|): at most 2^-28.6 beyond
  // kWideWindow of z0; within it, a rare branch (per vector, x ~ N(0, 3):
  // 0.4 % of the vectors of 16) takes SlopeScaled's float32 path (its
  // series) in those lanes. Elsewhere every other rounding is 2^-53, so f'
  // and g f' are within 0.5 ULP plus about 2^-4.6 ULP of float32 (certify:
  // docs/accuracy.md), the float32 path of SlopeScaled carried hi + lo
  // terms to reach 0.63. x is clamped to [kZMin, kZMax] as there (NaN
  // lanes: the driver's restore); 1 + e and its square stay far from
  // float64's overflow (e <= e^160).
  static constexpr bool kWideSlope = kUnitBeta && kScaled && kWideLanes512 &&
                                     sizeof(T) == 4 && hn::MaxLanes(D()) == 16;
  static constexpr float kWideWindow = 0x1p-10f;
  template <class G>
  HWY_INLINE V<D> SlopeWide(V<D> x, G g) const {
    V<D> out = SlopeWideCommon(x, g);
    const auto near = NearZ0Wide(x);
    if (HWY_UNLIKELY(!hn::AllFalse(d, near))) out = hn::IfThenElse(near, SlopeNearZ0(x, g), out);
    return out;
  }
  // SlopeWide on two vectors (the driver's backward pair hook, kernels.cc
  // LoopBackwardPairs; session 30): the same bits, both chains in one body,
  // one rare-branch test for both. G = V or Unit (the derivative's pair,
  // session 31).
  template <class G>
  HWY_INLINE void SlopeWidePair(V<D> x0, V<D> x1, G g0, G g1, V<D>* o0, V<D>* o1) const {
    *o0 = SlopeWideCommon(x0, g0);
    *o1 = SlopeWideCommon(x1, g1);
    const auto near0 = NearZ0Wide(x0);
    const auto near1 = NearZ0Wide(x1);
    if (HWY_UNLIKELY(!hn::AllFalse(d, hn::Or(near0, near1)))) {
      SlopeNearZ0Pair(x0, x1, g0, g1, o0, o1);
    }
  }
  // SlopeWide without its rare branch.
  template <class G>
  HWY_INLINE V<D> SlopeWideCommon(V<D> x, G g) const {
    const V<D> xc = hn::Min(hn::Max(x, hn::Set(d, kZMin)), hn::Set(d, kZMax));
    const Halves<D> xh = PromoteHalves(d, xc);
    const WideHalf<D> dw;
    const auto half = [&](V<WideHalf<D>> xw) HWY_ATTR {
      const V<WideHalf<D>> one = hn::Set(dw, 1.0);
      const V<WideHalf<D>> e = ExpNegForSilu(dw, xw);
      const V<WideHalf<D>> den = hn::Add(e, one);
      const V<WideHalf<D>> w = hn::MulAdd(e, xw, den);  // den's rounding: 2^-53 of den
      // (One VDIVPD: VRCP14PD and a corrected quotient, 3 operations more,
      // ran 7 % slower.)
      return hn::Div(w, hn::Mul(den, den));
    };
    V<WideHalf<D>> lo = half(xh.lo), hi = half(xh.hi);
    if constexpr (!kIsUnit<G>) {
      const Halves<D> gh = PromoteHalves(d, g);
      lo = hn::Mul(lo, gh.lo);
      hi = hn::Mul(hi, gh.hi);
    }
    // (DemoteHalves without Combine's zeroing of the upper half first.)
    const hn::Half<D> dh;
    return V<D>{_mm512_insertf32x8(_mm512_castps256_ps512(hn::DemoteTo(dh, lo).raw),
                                   hn::DemoteTo(dh, hi).raw, 1)};
  }
  // SlopeWide's rare lanes: x within kWideWindow of z0.
  HWY_INLINE auto NearZ0Wide(V<D> x) const {
    // |x - z0| < kWideWindow as z0 - w < x < z0 + w (both bounds exact
    // floats, x - z0 exact there: the same lanes): negative floats' bits
    // grow as they fall, so one unsigned compare of bits(x) - bits(z0 + w)
    // - 1 (NaN and every other x fall outside).
    const hn::RebindToUnsigned<D> du;
    constexpr uint32_t kNearLo = std::bit_cast<uint32_t>(-1.2784645557403564f + kWideWindow) + 1;
    constexpr uint32_t kNearHi = std::bit_cast<uint32_t>(-1.2784645557403564f - kWideWindow);
    return hn::RebindMask(
        d, hn::Lt(hn::Sub(hn::BitCast(du, x), hn::Set(du, kNearLo)), hn::Set(du, kNearHi - kNearLo)));
  }
  // SlopeWide's rare branch, out of line (session 26): inline, its ~100
  // instructions (PrepareScaled, SlopeScaled and its series) counted in the
  // size of the driver's per-vector step (kernels.cc, RunKernel's lambdas),
  // which GCC then compiled out of line (max-inline-insns-single) in some
  // binaries and not in others: swish forward_and_derivative at 0.80x of
  // session 24's with the same code (docs/benchmarks.md, "Session 26").
  template <class G>
  HWY_NOINLINE V<D> SlopeNearZ0(V<D> x, G g) const {
    return SlopeScaled(PrepareScaled(x), g);
  }
  // SlopeWidePair's rare branch: the near lanes of both vectors replaced
  // (SlopeWide's bits), out of line.
  template <class G>
  HWY_NOINLINE void SlopeNearZ0Pair(V<D> x0, V<D> x1, G g0, G g1, V<D>* o0, V<D>* o1) const {
    const auto near0 = NearZ0Wide(x0);
    const auto near1 = NearZ0Wide(x1);
    if (!hn::AllFalse(d, near0)) *o0 = hn::IfThenElse(near0, SlopeScaled(PrepareScaled(x0), g0), *o0);
    if (!hn::AllFalse(d, near1)) *o1 = hn::IfThenElse(near1, SlopeScaled(PrepareScaled(x1), g1), *o1);
  }
  // The backward pair hook (kernels.cc, LoopBackwardPairs; session 30):
  // silu float32 on AVX-512 (SlopeWide) and silu / swish at beta = 1
  // float64 with VSCALEF (SlopeScaled, no rare branch there). G = V (the
  // backward) or Unit (the derivative's pair, kernels.cc LoopFromXPairs;
  // session 31): Slope(Prepare(x), x, g)'s bits on each.
  static constexpr bool kSlopePair = kWideSlope || (kUnitBeta && kScaled && sizeof(T) == 8);
  template <class G>
  HWY_INLINE void SlopePair(V<D> x0, V<D> x1, G g0, G g1, V<D>* o0, V<D>* o1) const
    requires kSlopePair
  {
    if constexpr (kWideSlope) {
      SlopeWidePair(x0, x1, g0, g1, o0, o1);
    } else {
      const ScaledState s0 = PrepareScaled(x0);
      const ScaledState s1 = PrepareScaled(x1);
      *o0 = SlopeScaled(s0, g0);
      *o1 = SlopeScaled(s1, g1);
    }
  }

  // The derivative's and forward_and_derivative's pair hook (kernels.cc,
  // LoopFromXPairs; session 31), the scaled form: both states before either
  // result. Not with SlopeWide (silu / swish at beta = 1, float32 on
  // AVX-512): its derivative reads no state and takes SlopePair with a Unit
  // g instead, and its forward_and_derivative in pairs (83 instructions per
  // 16 elements either way, 13 stack operands a pair body against 2 a
  // vector) ran 0.94-1.04x main's: it keeps one vector a body.
  HWY_INLINE void OrderPair(ScaledState& s0, ScaledState& s1) const
    requires(kScaled && !kWideSlope)
  {
    ComputedBefore(s0.rcp, s1.rcp);
  }

  template <class G>
  HWY_INLINE V<D> SlopeFloat(const GateState& s, G g) const {
    const Logistic<D>& L = s.gate;
    const V<D> one = hn::Set(d, 1.0f);
    const V<D> k = hn::IfThenElse(L.negative, one, L.e);
    // W = D + z k as w + w_lo exactly (Fast2Sum, the larger term first):
    // w - D is exact where |z k| <= D (always for z >= 0: z e < 1), w - z
    // where |z| > D, i.e. where w < 0.
    V<D> w = hn::MulAdd(s.z, k, L.den);
    V<D> w_lo = hn::IfThenElse(hn::Lt(w, hn::Zero(d)), hn::Sub(L.den, hn::Sub(w, s.z)),
                               hn::MulAdd(s.z, k, hn::Sub(L.den, w)));
    w_lo = hn::Add(w_lo, L.den_lo);
    if constexpr (!kUnitBeta) w_lo = hn::MulAdd(s.z_lo, k, w_lo);
    // Near z0: the series.
    V<D> ws_lo, u;
    const V<D> ws = SeriesNearZero(s.z, s.z_lo, &ws_lo, &u);
    const auto near = hn::Lt(hn::Abs(u), hn::Set(d, 0.5f));
    w = hn::IfThenElse(near, ws, w);
    w_lo = hn::IfThenElse(near, ws_lo, w_lo);
    // W < -kScaledFactorMax only where z is, far below kExpMin, where the
    // scale makes g f' 0: clamped so that g m W stays finite (math-inl.h).
    // With beta != 1, w_lo there holds z's lo part (up to 2^-24 of z), and
    // g times it overflowed: at beta = 1.97e11, x = -2.18e18, g = -2.25e36
    // (2^-64 of it after the driver's scaling), inf times the zero scale
    // gave NaN where g f' is 0 (AVX2; session 28's wide sweep). Zeroed
    // there, as the float64 path zeroes z's.
    if constexpr (kUnitBeta) {
      w = hn::Max(hn::Set(d, -kScaledFactorMax<float>), w);
    } else {
      const auto far = hn::Lt(w, hn::Set(d, -kScaledFactorMax<float>));
      w = hn::IfThenElse(far, hn::Set(d, -kScaledFactorMax<float>), w);
      w_lo = hn::IfThenZeroElse(far, w_lo);
    }
    // m W, with n's rounding (n_lo = 1 + pm1 - n, exact) for z < 0.
    const V<D> m = hn::IfThenElse(L.negative, L.n, one);
    const V<D> m_lo =
        hn::IfThenElseZero(L.negative, hn::Sub(L.parts.pm1, hn::Sub(L.n, one)));
    V<D> num_lo;
    V<D> num = TwoProduct(d, m, w, &num_lo);
    num_lo = hn::MulAdd(m, w_lo, hn::MulAdd(m_lo, w, num_lo));
    TimesHiLo(d, g, &num, &num_lo);
    // One Newton step on 1/D where L.r is VRCP14's 2^-14 (AVX-512, the
    // same condition as Reciprocal's): the corrected division leaves the
    // approximation's error times num_lo / num, and the series' lo part
    // (u b_lo) is up to 7 % of W. Elsewhere L.r is a division, within 2^-24
    // already, and the step changed no maximum (ulp_survey, AVX2) for 4
    // instructions per 16 elements.
    V<D> r = L.r;
    if constexpr (kReciprocalFloatApproximate) {
      r = hn::MulAdd(r, hn::NegMulAdd(L.den, r, one), r);
    }
    return L.parts.ScaleWhere(L.negative, DivideBySquare(d, num, num_lo, L.den, L.den_lo, r));
  }
};

struct Swish {
  // float32 is native on FMA targets (x sigmoid(z) has no cancellation and
  // the exact two-product keeps z's rounding out of the tail; the derivative
  // is SlopeFloat above) and through float64 on SSE4 and scalar.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  // A beta of 0 or beyond 2^+-kBetaExp takes the rare kernel (SwishKernel's
  // kExtremeBeta), chosen once per call by the driver (kernels.cc,
  // RunInType).
  template <typename T>
  static constexpr int kBetaExp = sizeof(T) == 4 ? 64 : 512;
  template <typename T>
  static bool UseRareKernel(const ParamValues& p) {
    return p[0] == 0 || (std::isfinite(p[0]) && std::abs(std::ilogb(p[0])) > kBetaExp<T>);
  }
  // beta = 1 (the default): silu's kernel, z = x at compile time (the same
  // bits as the runtime unit path of Kernel, without its per-vector test
  // and the general path's registers), chosen once per call by the driver.
  static bool UseFastKernel(const ParamValues& p) { return p[0] == 1.0; }
  template <class D>
  struct FastKernel : SwishKernel<D, true> {
    FastKernel(D d, const ParamValues&) : SwishKernel<D, true>(d, 1.0) {}
  };
  template <class D>
  struct Kernel : SwishKernel<D, false> {
    Kernel(D d, const ParamValues& p) : SwishKernel<D, false>(d, p[0]) {}
  };
  template <class D>
  struct RareKernel : SwishKernel<D, false, true> {
    RareKernel(D d, const ParamValues& p) : SwishKernel<D, false, true>(d, p[0]) {}
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SWISH_INL_H_
