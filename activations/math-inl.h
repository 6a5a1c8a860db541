// Per-target math helpers shared by the activation kernels: an exponential
// that keeps full precision into the subnormal range, expm1 for non-positive
// arguments, exact products, and the erfc the GELU needs.
//
// Written for Highway's generic ops so every target (AVX-512, AVX2, SSE4,
// scalar) is built from this one text. No -ffast-math anywhere: the special
// cases below (inf, NaN, subnormals) rely on IEEE semantics.

// Per-target include guard (Highway's toggle idiom): foreach_target includes
// this file once per target.
#if defined(ACTIVATIONS_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_MATH_INL_H_
#undef ACTIVATIONS_MATH_INL_H_
#else
#define ACTIVATIONS_MATH_INL_H_
#endif

#include <cstddef>
#include <iterator>
#include <type_traits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D>
using V = hn::Vec<D>;

// The upstream gradient g = 1, known at compile time: a kernel's
// Slope(state, x, Unit{}) is f'(x) itself, with no multiplication by 1.
struct Unit {};
template <class D>
HWY_INLINE V<D> Times(D /*d*/, V<D> g, V<D> v) {
  return hn::Mul(g, v);
}
template <class D>
HWY_INLINE V<D> Times(D /*d*/, Unit, V<D> v) {
  return v;
}

// The float32 kernels lean on error-free transformations (an exact product
// is one FMA, a division is corrected by its FMA-exact residual). Targets
// without a native FMA (SSE4, scalar) compute float32 in float64 instead and
// round once: as accurate, and there the width halves anyway.
inline constexpr bool kFloatViaDouble = !HWY_NATIVE_FMA;

// Beyond +-kHuge every activation's tail has settled, yet x stays finite, so
// that x * (something that underflowed to 0) is 0 and not inf * 0 = NaN; and
// small enough (1e290 for double) that its Veltkamp split (x * (2^27 + 1))
// cannot overflow on targets without FMA.
template <typename T>
inline constexpr T kHuge = sizeof(T) == 4 ? T(1e30) : T(1e290);

// Constants of IEEE binary32 / binary64 needed by the exponential.
template <typename T>
struct FloatTraits;

template <>
struct FloatTraits<float> {
  static constexpr int kMantissaBits = 23;
  static constexpr int kExponentBias = 127;
  // exp(x) overflows above 88.72. Below -103.98 it is under half of
  // denorm_min, but a product f e^x (ExpParts::MulExp) can still be
  // representable: keep the exponent down to q = -246, where both halves
  // 2^(q/2) are still normal (>= 2^-126), and flush to 0 below.
  static constexpr float kExpMax = 89.0f;
  static constexpr float kExpMin = -170.0f;
  // With VSCALEF any q works: 2^128 e^-200 is below half of denorm_min.
  static constexpr float kExpMinScalef = -200.0f;
  // ln 2 split for Cody-Waite reduction: kLn2Hi has 9 significant bits
  // (0x3F317200), so q * kLn2Hi is exact for |q| < 2^15; kLn2Lo = ln2 - hi.
  static constexpr float kLn2Hi = 0.693145751953125f;
  static constexpr float kLn2Lo = 1.428606765330187045e-6f;
  // Veltkamp splitter 2^12 + 1 for exact products (Dekker).
  static constexpr float kSplitter = 4097.0f;
};

template <>
struct FloatTraits<double> {
  static constexpr int kMantissaBits = 52;
  static constexpr int kExponentBias = 1023;
  // exp overflows above 709.78 and underflows below -745.13; as for float,
  // products f e^x keep the exponent down to q = -2020 (halves >= 2^-1022).
  static constexpr double kExpMax = 710.0;
  static constexpr double kExpMin = -1400.0;
  static constexpr double kExpMinScalef = -1500.0;  // 2^1024 e^-1500 ~ 1e-343
  // fdlibm's split: kLn2Hi = 0x3FE62E42FEE00000 has 32 significant bits.
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;
  // Veltkamp splitter 2^27 + 1.
  static constexpr double kSplitter = 134217729.0;
};

// 2^q for integer-valued q in [1 - bias, bias], built directly in the
// exponent field. Adding 2^mant + bias leaves q + bias in the low mantissa
// bits (exact: the sum is an integer below 2^(mant+1)); shifting those into
// the exponent field gives the power of two.
template <class D>
HWY_INLINE V<D> Pow2(D d, V<D> q) {
  using T = hn::TFromD<D>;
  using Tr = FloatTraits<T>;
  const hn::RebindToUnsigned<D> du;
  const V<D> kMagic = hn::Set(
      d, static_cast<T>((static_cast<double>(1ull << Tr::kMantissaBits)) +
                        Tr::kExponentBias));
  return hn::BitCast(
      d, hn::ShiftLeft<Tr::kMantissaBits>(hn::BitCast(du, hn::Add(q, kMagic))));
}

// Exact product a * b = hi + lo (Dekker's TwoProduct with Veltkamp splitting;
// exact without FMA too, barring overflow). Used where rounding the product
// of the argument would be amplified by an exponential: e^(hi + lo) =
// e^hi (1 + lo) to within lo^2.
template <class D>
HWY_INLINE V<D> TwoProduct(D d, V<D> a, V<D> b, V<D>* lo) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  // Highway's x86 targets from AVX2 up have fused multiply-add: the error of
  // the product is exactly fma(a, b, -hi).
  (void)d;
  const V<D> hi = hn::Mul(a, b);
  *lo = hn::MulSub(a, b, hi);
  return hi;
#else
  using T = hn::TFromD<D>;
  const V<D> kSplit = hn::Set(d, FloatTraits<T>::kSplitter);
  const V<D> hi = hn::Mul(a, b);
  const V<D> ca = hn::Mul(a, kSplit);
  const V<D> a_hi = hn::Sub(ca, hn::Sub(ca, a));
  const V<D> a_lo = hn::Sub(a, a_hi);
  const V<D> cb = hn::Mul(b, kSplit);
  const V<D> b_hi = hn::Sub(cb, hn::Sub(cb, b));
  const V<D> b_lo = hn::Sub(b, b_hi);
  // lo = ((a_hi b_hi - hi) + a_hi b_lo + a_lo b_hi) + a_lo b_lo
  V<D> err = hn::MulAdd(a_hi, b_hi, hn::Neg(hi));
  err = hn::MulAdd(a_hi, b_lo, err);
  err = hn::MulAdd(a_lo, b_hi, err);
  *lo = hn::MulAdd(a_lo, b_lo, err);
  return hi;
#endif
}

// a b + c where the FMA's result is exact: a residual such as c - t0 b with
// t0 ~ c / b, or the rounding error of an FMA. Without a native FMA, the
// product is split exactly (TwoProduct) so the residual stays exact there
// too, at ten operations more.
template <class D>
HWY_INLINE V<D> ExactFma(D d, V<D> a, V<D> b, V<D> c) {
  if constexpr (HWY_NATIVE_FMA) {
    (void)d;
    return hn::MulAdd(a, b, c);
  } else {
    V<D> lo;
    const V<D> p = TwoProduct(d, a, b, &lo);
    return hn::Add(hn::Add(p, c), lo);
  }
}

// AVX-512 scales by 2^q in one instruction (VSCALEFPS/PD: v * 2^floor(q),
// rounded once, into the subnormal range and down to 0 or up to inf). Other
// targets multiply by two normal powers of two, 2^floor(q/2) and the rest.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr bool kHaveScalef = true;
#else
inline constexpr bool kHaveScalef = false;
#endif

// v * 2^q for integer-valued q, rounded once (kHaveScalef targets only).
template <class D>
HWY_INLINE V<D> Scalef(D d, V<D> v, V<D> q) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  using T = hn::TFromD<D>;
  static_assert(hn::MaxLanes(D()) * sizeof(T) == 64, "full vectors only");
  (void)d;
  if constexpr (sizeof(T) == 4) {
    return V<D>{_mm512_scalef_ps(v.raw, q.raw)};
  } else {
    return V<D>{_mm512_scalef_pd(v.raw, q.raw)};
  }
#else
  static_assert(sizeof(D) == 0, "no VSCALEF on this target");
  (void)d;
  (void)q;
  return v;
#endif
}

// e^x split as (1 + pm1) * 2^q with pm1 = e^r - 1 for |r| <= ln2/2. Keeping
// the pieces apart lets callers multiply small factors into (1 + pm1)
// *before* applying 2^q, so a product like x * e^x keeps full precision
// where e^x alone would be subnormal, and lets expm1 avoid the cancellation
// of (1 + pm1) - 1.
template <class D>
struct ExpParts {
  V<D> pm1;     // e^r - 1, |r| <= ln2 / 2
  V<D> pm1_lo;  // e^r - 1 - pm1, to about 2^-24 of itself (dead code unless used)
  V<D> q;       // integer-valued
  // Without VSCALEF: 2^q as two normal factors, s2 = 0 where e^x is 0 even
  // after multiplication by any finite factor.
  V<D> s1;  // 2^floor(q/2)
  V<D> s2;  // 2^(q - floor(q/2))

  // Sets q, and without VSCALEF s1 and s2, 0 where `below` (the argument
  // under the exponential's lower clamp).
  template <class M>
  HWY_INLINE void SetScale(D d, V<D> q_in, M below) {
    q = q_in;
    if constexpr (!kHaveScalef) {
      using T = hn::TFromD<D>;
      const V<D> q1 = hn::Floor(hn::Mul(q_in, hn::Set(d, static_cast<T>(0.5))));
      s1 = Pow2(d, q1);
      s2 = hn::IfThenZeroElse(below, Pow2(d, hn::Sub(q_in, q1)));
    }
  }

  // v * 2^q, rounded once (also into the subnormal range).
  HWY_INLINE V<D> Scale(V<D> v) const {
    if constexpr (kHaveScalef) {
      return Scalef(D(), v, q);
    } else {
      return hn::Mul(hn::Mul(v, s1), s2);
    }
  }
  // v * 2^q where `m` is set, v elsewhere.
  HWY_INLINE V<D> ScaleWhere(hn::Mask<D> m, V<D> v) const {
    if constexpr (kHaveScalef) {
      return Scalef(D(), v, hn::IfThenElseZero(m, q));
    } else {
      const V<D> one = hn::Set(D(), 1);
      return hn::Mul(hn::Mul(v, hn::IfThenElse(m, s1, one)), hn::IfThenElse(m, s2, one));
    }
  }
  // 1 + pm1, rounded: e^x = N() 2^q.
  HWY_INLINE V<D> N(D d) const { return hn::Add(pm1, hn::Set(d, 1)); }
  // e^r - N(): e^x = (N() + NLo()) 2^q to about 2^-40 (float) instead of
  // the 0.6 ULP of N() alone. Costs 3 operations where used.
  HWY_INLINE V<D> NLo(D d) const {
    const V<D> n = N(d);
    return hn::Add(hn::Add(hn::Sub(hn::Set(d, 1), n), pm1), pm1_lo);
  }
  // 2^q itself (q <= 0 only; 0 below the underflow cut).
  HWY_INLINE V<D> Pow2Q(D d) const {
    if constexpr (kHaveScalef) {
      return Scalef(d, hn::Set(d, 1), q);
    } else {
      return hn::Mul(s1, s2);
    }
  }
  // e^x.
  HWY_INLINE V<D> Exp(D d) const { return Scale(N(d)); }
  // f * e^x with a single rounding into the subnormal range.
  HWY_INLINE V<D> MulExp(D /*d*/, V<D> f) const {
    return Scale(hn::MulAdd(f, pm1, f));  // f * (1 + pm1)
  }
  // e^x - 1, for x <= 0 only (2^q would overflow for large x > 0): uses
  // 2^q (pm1 + 1) - 1 = 2^q pm1 + (2^q - 1), where 2^q - 1 is exact for
  // q >= -24 (float) and the FMA rounds once; for q = 0 it is pm1 itself,
  // accurate near 0 where e^x - 1 would cancel.
  HWY_INLINE V<D> Expm1NonPositive(D d) const {
    const V<D> s = Pow2Q(d);
    return hn::MulAdd(s, pm1, hn::Sub(s, hn::Set(d, 1)));
  }
};

// The reduced argument's polynomial: e^r - 1 = r + r^2 P(r) on |r| <= ln2/2.
// float: P of degree 5, least-squares fit in relative error on Chebyshev
// nodes (40-digit mpmath), coefficients rounded to float: truncation 0.02
// ULP. double: Taylor coefficients 1/k! up to 1/13!: truncation 0.04 ULP.
// float32's P, highest degree first (the last is 1/2).
inline constexpr float kExpReducedPolyFloat[] = {0.0001985159033210948f, 0.001394097926095128f,
                                                 0.008333378471434116f, 0.04166635498404503f,
                                                 0.1666666716337204f, 0.5f};
template <class D>
HWY_INLINE V<D> ExpReducedPoly(D d, V<D> r) {
  using T = hn::TFromD<D>;
  V<D> p;
  if constexpr (sizeof(T) == 4) {
    p = hn::Set(d, kExpReducedPolyFloat[0]);
    for (std::size_t i = 1; i < std::size(kExpReducedPolyFloat); ++i) {
      p = hn::MulAdd(p, r, hn::Set(d, kExpReducedPolyFloat[i]));
    }
  } else {
    p = hn::Set(d, 1.0 / 6227020800.0);  // 1/13!
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 479001600.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 39916800.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 3628800.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 362880.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 40320.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 5040.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 720.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 120.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 24.0));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0 / 6.0));
    p = hn::MulAdd(p, r, hn::Set(d, 0.5));
  }
  return p;
}

// ExpParts of x + x_lo, for a correction |x_lo| <= ulp(x) (as from
// TwoProduct; Zero(d) for none): e^(x + lo) = e^x (1 + lo) to within lo^2.
// NaN in gives NaN pm1; +-inf and huge |x| are clamped so the result is
// +inf or 0 (the driver restores NaN lanes from the input), and there x_lo
// is ignored (a huge x has a huge x_lo). Error of Exp(): <= 1 ULP where the
// result is normal.
template <bool kWithLo, bool kNonPositive = false, class D>
HWY_INLINE ExpParts<D> ComputeExpPartsImpl(D d, V<D> x, V<D> x_lo) {
  using T = hn::TFromD<D>;
  using Tr = FloatTraits<T>;
  // With VSCALEF, the lower clamp is far enough down that e^kMin times the
  // largest finite factor is 0; without it, 2^q must stay a product of two
  // normal numbers, and below kExpMin the scale is zeroed instead.
  const T kMin = kHaveScalef ? Tr::kExpMinScalef : Tr::kExpMin;
  // (Max(kMin, x) keeps a NaN x.)
  V<D> xc = hn::Max(hn::Set(d, kMin), x);
  if constexpr (!kNonPositive) xc = hn::Min(xc, hn::Set(d, Tr::kExpMax));
  // q = round(x / ln2); r = x - q ln2 in two steps (Cody-Waite): the first
  // is exact, the second rounds, and r_lo = r1 - q ln2_lo - r keeps what it
  // dropped.
  const V<D> q = hn::Round(hn::Mul(xc, hn::Set(d, static_cast<T>(1.4426950408889634))));
  const V<D> r1 = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Hi), xc);
  const V<D> r = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Lo), r1);
  const V<D> r_lo = ExactFma(d, hn::Neg(q), hn::Set(d, Tr::kLn2Lo), hn::Sub(r1, r));
  ExpParts<D> parts;
  const V<D> pr = hn::Mul(ExpReducedPoly(d, r), r);
  parts.pm1 = hn::MulAdd(pr, r, r);
  // The FMA's rounding error (r - pm1 is exact), and e^(r + r_lo) =
  // e^r (1 + r_lo): only computed where a caller uses NLo().
  parts.pm1_lo = hn::MulAdd(parts.N(d), r_lo, ExactFma(d, pr, r, hn::Sub(r, parts.pm1)));
  if constexpr (kWithLo) {
    // (1 + pm1)(1 + lo) - 1 = pm1 + lo (1 + pm1), where x was not clamped.
    x_lo = hn::IfThenElseZero(hn::Eq(x, xc), x_lo);
    const V<D> pm1 = parts.pm1;
    const V<D> n = parts.N(d);
    parts.pm1 = hn::MulAdd(n, x_lo, pm1);
    // (pm1 + n x_lo - new pm1 is exact but for the product's rounding.)
    parts.pm1_lo = hn::Add(parts.pm1_lo, hn::MulAdd(n, x_lo, hn::Sub(pm1, parts.pm1)));
  }
  parts.SetScale(d, q, hn::Lt(x, hn::Set(d, kMin)));
  return parts;
}

template <class D>
HWY_INLINE ExpParts<D> ComputeExpParts(D d, V<D> x, V<D> x_lo) {
  return ComputeExpPartsImpl<true>(d, x, x_lo);
}
template <class D>
HWY_INLINE ExpParts<D> ComputeExpParts(D d, V<D> x) {
  return ComputeExpPartsImpl<false>(d, x, x);
}
// For x <= 0 (or NaN) only: one clamp fewer.
template <class D>
HWY_INLINE ExpParts<D> ComputeExpPartsNonPositive(D d, V<D> x, V<D> x_lo) {
  return ComputeExpPartsImpl<true, true>(d, x, x_lo);
}
template <class D>
HWY_INLINE ExpParts<D> ComputeExpPartsNonPositive(D d, V<D> x) {
  return ComputeExpPartsImpl<false, true>(d, x, x);
}

// session 29 (kernels50): float32 e^x for x <= 0 (or NaN) as ExpParts with
// a shorter chain to pm1 and a more accurate pm1 + pm1_lo, for selu's float32
// lanes (FMA targets). The same reduction and polynomial as
// ComputeExpPartsNonPositive (e^r - 1 = r + r^2 P(r), P's coefficients
// unchanged), evaluated as r + r^2/2 + (r^3/2)(2 P1(r)), P = 1/2 + r P1(r):
// r^2/2 = h2 + h2_lo exactly (hr = r/2 is exact), pm1 = r + h2 rounded
// (|h2| <= |r|/5, so Fast2Sum's error e1 is exact), and the polynomial of
// degree 4 runs beside them, not before them. pm1 is ready after 4
// operations of r instead of 7 (Horner's five FMAs, the product, the FMA);
// pm1_lo after 6 instead of 11. pm1 + pm1_lo = e^(r + r_lo) - 1 to about
// 2^-24 of r^3 P1 (0.02 of pm1's ULP) and the polynomial's 0.02 ULP, where
// ComputeExpParts' pm1 + pm1_lo keeps the rounding of r P(r) (up to 2^-24 of
// r^2 P: about 0.3 ULP of pm1 at r = -0.33). Three operations more.
template <class D>
HWY_INLINE ExpParts<D> ComputeExpPartsNonPositiveShortChain(D d, V<D> x) {
  using T = hn::TFromD<D>;
  static_assert(sizeof(T) == 4, "float32 coefficients");
  using Tr = FloatTraits<T>;
  const T kMin = kHaveScalef ? Tr::kExpMinScalef : Tr::kExpMin;
  const V<D> xc = hn::Max(hn::Set(d, kMin), x);  // keeps a NaN x
  const V<D> q = hn::Round(hn::Mul(xc, hn::Set(d, static_cast<T>(1.4426950408889634))));
  const V<D> r1 = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Hi), xc);  // exact
  const V<D> r = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Lo), r1);
  const V<D> r_lo = ExactFma(d, hn::Neg(q), hn::Set(d, Tr::kLn2Lo), hn::Sub(r1, r));
  // r^2 / 2 = h2 + h2_lo, exactly.
  const V<D> hr = hn::Mul(r, hn::Set(d, T(0.5)));
  const V<D> h2 = hn::Mul(hr, r);
  const V<D> h2_lo = ExactFma(d, hr, r, hn::Neg(h2));
  // 2 P1(r): ExpReducedPoly's coefficients after the constant 1/2, times 2
  // (exact).
  constexpr std::size_t kP1 = std::size(kExpReducedPolyFloat) - 1;  // without the 1/2
  V<D> p = hn::Set(d, T(2) * kExpReducedPolyFloat[0]);
  for (std::size_t i = 1; i < kP1; ++i) {
    p = hn::MulAdd(p, r, hn::Set(d, T(2) * kExpReducedPolyFloat[i]));
  }
  const V<D> r3h = hn::Mul(h2, r);  // r^3 / 2, rounded
  ExpParts<D> parts;
  parts.pm1 = hn::Add(r, h2);
  const V<D> e1 = hn::Sub(h2, hn::Sub(parts.pm1, r));  // Fast2Sum: exact
  // The rest: e1 + h2_lo + r_lo (1 + pm1) + (r^3 / 2)(2 P1), the last
  // rounded once.
  const V<D> rest = hn::Add(hn::MulAdd(r_lo, parts.pm1, hn::Add(r_lo, h2_lo)), e1);
  parts.pm1_lo = hn::MulAdd(r3h, p, rest);
  parts.SetScale(d, q, hn::Lt(x, hn::Set(d, kMin)));
  return parts;
}

// The State of the ELU kernels (elu, selu): x > 0, where f is linear, and
// the exponential's parts of min(x, 0) for the rest. kNonPositive takes them
// from ComputeExpPartsNonPositive.
template <class D>
struct PositiveAndExpParts {
  hn::Mask<D> pos;  // x > 0
  ExpParts<D> e;    // of min(x, 0)
};
template <bool kNonPositive = false, class D>
HWY_INLINE PositiveAndExpParts<D> ComputePositiveAndExpParts(D d, V<D> x) {
  const V<D> neg = hn::Min(x, hn::Zero(d));
  if constexpr (kNonPositive) {
    return {hn::Gt(x, hn::Zero(d)), ComputeExpPartsNonPositive(d, neg)};
  } else {
    return {hn::Gt(x, hn::Zero(d)), ComputeExpParts(d, neg)};
  }
}

// e^x. <= 1 ULP (normal results); +inf above the overflow threshold.
template <class D>
HWY_INLINE V<D> Exp(D d, V<D> x) {
  return ComputeExpParts(d, x).Exp(d);
}


// Fast2Sum: a + b = hi + lo exactly, for |a| >= |b| (or a = 0).
template <class D>
HWY_INLINE V<D> Fast2Sum(V<D> a, V<D> b, V<D>* lo) {
  const V<D> hi = hn::Add(a, b);
  *lo = hn::Sub(b, hn::Sub(hi, a));
  return hi;
}

// log(1 + e) for e in [0, 1]. float: with f = e, or for e > sqrt(2) - 1
// f = (e - 1) / 2 = fma(e, 1/2, -1/2) (its rounding, for e < 1/2, kept in
// f_lo) and log(1 + e) = ln 2 + log1p(f), f stays in [-0.293, 0.414], and
// log1p(f) =
// f + f (f Q(f)), Q = -1/2 + f P(f) with P of degree 7 (least-squares fit
// in relative error on Chebyshev nodes, 40-digit mpmath; coefficients
// rounded to float): 0.72 ULP in float evaluation, about 0.15 with the last
// FMA's rounding returned in *lo; the ln 2 added after.
// Returned as hi + *lo (the sum with ln 2 is split exactly). double:
// Highway's Log1p (<= 2 ULP), lo = 0.
template <class D>
HWY_INLINE V<D> Log1pUnitInterval(D d, V<D> e, V<D>* lo) {
  using T = hn::TFromD<D>;
  if constexpr (sizeof(T) == 8) {
    *lo = hn::Zero(d);
    return hn::Log1p(d, e);
  } else {
    const auto upper = hn::Gt(e, hn::Set(d, 0.41421356237309515f));
    const V<D> half = hn::Set(d, 0.5f);
    const V<D> f = hn::IfThenElse(upper, hn::MulSub(e, half, half), e);
    // e/2 - 1/2 - f, exact (-1/2 - f is, by Sterbenz); 0 where f = e.
    const V<D> f_lo = hn::MulAdd(e, half, hn::Sub(hn::Neg(half), f));
    V<D> p = hn::Set(d, -0.07362867891788483f);
    p = hn::MulAdd(p, f, hn::Set(d, 0.1262032687664032f));
    p = hn::MulAdd(p, f, hn::Set(d, -0.13202103972434998f));
    p = hn::MulAdd(p, f, hn::Set(d, 0.14227114617824554f));
    p = hn::MulAdd(p, f, hn::Set(d, -0.16621370613574982f));
    p = hn::MulAdd(p, f, hn::Set(d, 0.19999825954437256f));
    p = hn::MulAdd(p, f, hn::Set(d, -0.2500085234642029f));
    p = hn::MulAdd(p, f, hn::Set(d, 0.3333335518836975f));
    const V<D> q = hn::MulSub(p, f, half);
    const V<D> fq = hn::Mul(f, q);
    const V<D> l = hn::MulAdd(f, fq, f);
    // The last FMA's rounding (f - l is exact: l is within 20 % of f).
    // log1p(f + f_lo) = log1p(f) + f_lo / (1 + f), and 1/(1+f) ~ 1 - f
    // within f^2 < 0.09 of a term below 2^-26.
    const V<D> f_lo_term = hn::IfThenElseZero(upper, hn::NegMulAdd(f_lo, f, f_lo));
    const V<D> l_lo = hn::Add(ExactFma(d, f, fq, hn::Sub(f, l)), f_lo_term);
    // ln 2 = 0.693147182464599609375 (float) - 1.9046542e-9.
    const V<D> ln2 = hn::IfThenElseZero(upper, hn::Set(d, 0.693147182464599609375f));
    const V<D> ln2_lo = hn::IfThenElseZero(upper, hn::Set(d, -1.904654299957768e-09f));
    V<D> sum_lo;
    const V<D> hi = Fast2Sum<D>(ln2, l, &sum_lo);  // |l| <= 0.35 < ln 2 where ln2 != 0
    *lo = hn::Add(sum_lo, hn::Add(ln2_lo, l_lo));
    return hi;
  }
}

// z = a b as hi + lo (TwoProduct) for a z that may overflow: z clamped to
// [-kHuge, kHuge] and lo zeroed beyond, where the product or its splitting
// overflowed (lo would be NaN) and the tails no longer change.
template <class D>
HWY_INLINE V<D> TwoProductClamped(D d, V<D> a, V<D> b, V<D>* lo) {
  using T = hn::TFromD<D>;
  const V<D> k = hn::Set(d, kHuge<T>);
  const V<D> hi = TwoProduct(d, a, b, lo);
  *lo = hn::IfThenElseZero(hn::Lt(hn::Abs(hi), k), *lo);
  return hn::Min(hn::Max(hi, hn::Neg(k)), k);
}

// Clamps to [-kHuge, kHuge].
template <class D>
HWY_INLINE V<D> ClampHuge(D d, V<D> x) {
  using T = hn::TFromD<D>;
  const V<D> k = hn::Set(d, kHuge<T>);
  return hn::Min(hn::Max(x, hn::Neg(k)), k);
}

// TwoSum (Knuth): a + b = hi + lo exactly, whatever their magnitudes.
template <class D>
HWY_INLINE V<D> TwoSum(D /*d*/, V<D> a, V<D> b, V<D>* lo) {
  const V<D> hi = hn::Add(a, b);
  const V<D> bb = hn::Sub(hi, a);
  *lo = hn::Add(hn::Sub(a, hn::Sub(hi, bb)), hn::Sub(b, bb));
  return hi;
}

// An approximation of 1/x to feed DivideCorrected: AVX-512's VRCP14PS
// (relative error below 2^-14; DivideCorrected's residual step squares it)
// for float, a division (0.5 ULP) elsewhere. VRCP14 and two FMAs keep the
// division unit free: the kernels divide once or twice per element. A
// caller that needs more adds its own Newton step where
// kReciprocalFloatApproximate says Reciprocal is VRCP14 (swish-inl.h).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr bool kReciprocalFloatApproximate = true;
#else
inline constexpr bool kReciprocalFloatApproximate = false;
#endif
template <class D>
HWY_INLINE V<D> Reciprocal(D d, V<D> x) {
  if constexpr (kReciprocalFloatApproximate && sizeof(hn::TFromD<D>) == 4) {
    (void)d;
    return hn::ApproximateReciprocal(x);
  } else {
    return hn::Div(hn::Set(d, 1), x);
  }
}

// (a + a_lo) / (b + b_lo) given r ~ 1/b (relative error e_r), for |a_lo| <=
// ulp(a), |b_lo| <= ulp(b): the quotient t0 = a r corrected once by its
// residual a - t0 b, which an FMA forms exactly (ExactFma). Error: 0.5 ULP +
// e_r^2 plus what a and b carry. kLo = false: a_lo is 0 and not added.
template <bool kLo = true, class D>
HWY_INLINE V<D> DivideCorrected(D d, V<D> a, V<D> a_lo, V<D> b, V<D> b_lo, V<D> r) {
  const V<D> t0 = hn::Mul(a, r);
  V<D> res = ExactFma(d, hn::Neg(t0), b, a);
  if constexpr (kLo) res = hn::Add(res, a_lo);
  res = hn::NegMulAdd(t0, b_lo, res);
  return hn::MulAdd(res, r, t0);
}

// The same quotient left unrounded as hi + *lo: t0 and its correction.
template <class D>
HWY_INLINE V<D> DivideHiLo(D d, V<D> a, V<D> a_lo, V<D> b, V<D> b_lo, V<D> r, V<D>* lo) {
  const V<D> t0 = hn::Mul(a, r);
  V<D> res = ExactFma(d, hn::Neg(t0), b, a);
  res = hn::Add(res, a_lo);
  res = hn::NegMulAdd(t0, b_lo, res);
  *lo = hn::Mul(res, r);
  return t0;
}

// The quotient of DivideCorrected, rounded, and what the rounding dropped:
// (a + a_lo) / (b + b_lo) = hi + *lo, *lo = (t0 - hi) + res r (t0 - hi is
// exact: t0 is within e_r of hi), to about e_r^2 of the quotient instead
// of its 0.5 ULP. For a quotient used as a polynomial's argument, where
// that half ULP would move the point.
template <class D>
HWY_INLINE V<D> DivideRoundedHiLo(D d, V<D> a, V<D> a_lo, V<D> b, V<D> b_lo, V<D> r,
                                  V<D>* lo) {
  const V<D> t0 = hn::Mul(a, r);
  V<D> res = ExactFma(d, hn::Neg(t0), b, a);
  res = hn::Add(res, a_lo);
  res = hn::NegMulAdd(t0, b_lo, res);
  const V<D> hi = hn::MulAdd(res, r, t0);
  *lo = hn::MulAdd(res, r, hn::Sub(t0, hi));
  return hi;
}

// f * v as hi + lo (exact with FMA; Unit f: v itself, lo unused).
template <class D>
HWY_INLINE V<D> TimesExact(D d, V<D> f, V<D> v, V<D>* lo) {
  return TwoProduct(d, f, v, lo);
}
template <class D>
HWY_INLINE V<D> TimesExact(D /*d*/, Unit, V<D> v, V<D>* lo) {
  *lo = v;  // unused: callers pass kLo = false for Unit
  return v;
}
template <class G>
inline constexpr bool kIsUnit = std::is_same_v<G, Unit>;

// (a + a_lo)(b + b_lo) = hi + *lo to about two roundings of the element
// type (a_lo b_lo dropped).
template <class D>
HWY_INLINE V<D> MulHiLo(D d, V<D> a, V<D> a_lo, V<D> b, V<D> b_lo, V<D>* lo) {
  const V<D> hi = TwoProduct(d, a, b, lo);
  *lo = hn::MulAdd(a_lo, b, hn::MulAdd(a, b_lo, *lo));
  return hi;
}

// a (b + b_lo) = hi + *lo, a exact.
template <class D>
HWY_INLINE V<D> MulHiLo(D d, V<D> a, V<D> b, V<D> b_lo, V<D>* lo) {
  const V<D> hi = TwoProduct(d, a, b, lo);
  *lo = hn::MulAdd(a, b_lo, *lo);
  return hi;
}

// g (hi + lo) kept as hi + lo (Unit g: unchanged).
template <class D, class G>
HWY_INLINE void TimesHiLo(D d, G g, V<D>* hi, V<D>* lo) {
  if constexpr (!kIsUnit<G>) {
    V<D> g_lo;
    const V<D> gh = TwoProduct(d, g, *hi, &g_lo);
    *lo = hn::MulAdd(g, *lo, g_lo);
    *hi = gh;
  }
}

// (hi + lo) / (den + den_lo)^2 given r ~ 1/den: the square formed exactly,
// one corrected division.
template <class D>
HWY_INLINE V<D> DivideBySquare(D d, V<D> hi, V<D> lo, V<D> den, V<D> den_lo, V<D> r) {
  V<D> p_lo;
  const V<D> p = TwoProduct(d, den, den, &p_lo);
  p_lo = hn::MulAdd(hn::Add(den, den), den_lo, p_lo);
  return DivideCorrected(d, hi, lo, p, p_lo, hn::Mul(r, r));
}

// The largest magnitude a z-sized factor (z itself, or a bracket like
// W = 1 + e + s of a derivative) may keep where a kernel multiplies it by g
// before the last scaling by 2^q. The driver's backward scales |g| above
// 2^64 (float32; 2^512 float64) into [2^63, 2^64) first (kernels.cc,
// BackwardRare), so g times a few times this stays finite and below where
// a Veltkamp split overflows (targets without FMA: 2^116 / 2^996). A factor is clamped to it only where |z| >= 2^40 (2^440), far
// beyond ComputeExpParts' lower clamp (kExpMin), so the scale 2^q makes the
// result 0 anyway; unclamped, g times the factor overflowed to inf there and
// inf times the zero scale gave NaN (session 22: silu, swish, mish,
// gelu_tanh backward at x = -2^600, g = 2^500).
template <typename T>
inline constexpr T kScaledFactorMax = sizeof(T) == 4 ? T(0x1p40f) : T(0x1p440);

// The logistic function's shared pieces at z = zh + zl: e = exp(-|z|) as
// n 2^q (so products with it can be formed before scaling), 1 + e = den +
// den_lo exactly, r ~ 1/den, and whether z < 0. With them
//   sigmoid(z)  = (z >= 0 ? 1 : e) / (1 + e),
//   sigmoid'(z) = e / (1 + e)^2,
// without overflow or cancellation, each quotient corrected once by its
// residual (DivideCorrected): about 0.5 ULP plus the error of e (~0.6 ULP,
// from rounding 1 + pm1). Every factor f or g is multiplied in exactly
// (TwoProduct) before the last scaling by 2^q, so f sigmoid(z) stays
// accurate where sigmoid(z) alone is subnormal.
template <class D>
struct Logistic {
  ExpParts<D> parts;  // of -|z|
  V<D> n;             // 1 + pm1: e = n 2^q
  V<D> e;             // exp(-|z|)
  V<D> den, den_lo;   // 1 + e
  V<D> r;             // ~1 / den
  hn::Mask<D> negative;
  // The exponential's rounding, for the extended-precision variants (dead
  // code unless used): e + e_lo = n_lo... exp(-|z|) to about 2^-40.
  V<D> n_lo, e_lo, den_lo_ext;

  HWY_INLINE Logistic(D d, V<D> zh, V<D> zl) {
    negative = hn::Lt(zh, hn::Zero(d));
    // -|z| = -|zh| - (zh < 0 ? -zl : zl)
    const V<D> neg_abs_lo = hn::IfThenElse(negative, zl, hn::Neg(zl));
    parts = ComputeExpPartsNonPositive(d, hn::Neg(hn::Abs(zh)), neg_abs_lo);
    Init(d);
  }
  // z = zh exactly.
  HWY_INLINE Logistic(D d, V<D> z) {
    negative = hn::Lt(z, hn::Zero(d));
    parts = ComputeExpPartsNonPositive(d, hn::Neg(hn::Abs(z)));
    Init(d);
  }
  HWY_INLINE void Init(D d) {
    n = parts.N(d);
    e = parts.Scale(n);
    const V<D> one = hn::Set(d, 1);
    den = Fast2Sum<D>(one, e, &den_lo);
    r = Reciprocal(d, den);
    n_lo = parts.NLo(d);
    e_lo = parts.Scale(n_lo);
    den_lo_ext = hn::Add(den_lo, e_lo);
  }

  // f sigmoid(z), f = V or Unit (f = 1). f must be finite (callers clamp).
  // kExtended: with the exponential's rounding carried (about 0.8 ULP
  // better, 11 operations more: 35 % of sigmoid).
  template <bool kExtended = false, class G>
  HWY_INLINE V<D> MulSigmoid(D d, G f) const {
    const V<D> num = hn::IfThenElse(negative, n, hn::Set(d, 1));
    V<D> lo;
    const V<D> hi = TimesExact(d, f, num, &lo);
    V<D> t;
    if constexpr (kExtended) {
      const V<D> num_lo = hn::IfThenElseZero(negative, n_lo);
      if constexpr (kIsUnit<G>) {
        lo = num_lo;
      } else {
        lo = hn::MulAdd(f, num_lo, lo);
      }
      t = DivideCorrected<true>(d, hi, lo, den, den_lo_ext, r);
    } else {
      t = DivideCorrected<!kIsUnit<G>>(d, hi, lo, den, den_lo, r);
    }
    return parts.ScaleWhere(negative, t);
  }
  // f sigmoid(z) for any f, infinities included: +-inf (or a signed zero
  // where sigmoid(z) is 0, the limit of x sigmoid(x) at -inf). The rare
  // path beyond kHuge multiplies plainly.
  template <bool kExtended = false>
  HWY_INLINE V<D> MulSigmoidAny(D d, V<D> f) const {
    using T = hn::TFromD<D>;
    const V<D> k = hn::Set(d, kHuge<T>);
    const auto huge = hn::Gt(hn::Abs(f), k);
    const V<D> t = MulSigmoid<kExtended>(d, hn::Min(hn::Max(f, hn::Neg(k)), k));
    if (HWY_LIKELY(hn::AllFalse(d, huge))) return t;
    const V<D> sig = MulSigmoid(d, Unit{});
    const V<D> big =
        hn::IfThenElse(hn::Eq(sig, hn::Zero(d)), hn::CopySign(hn::Zero(d), f), hn::Mul(f, sig));
    return hn::IfThenElse(huge, big, t);
  }
  // g sigmoid'(z) 2^kLog2Scale = g e 2^k / (1 + e)^2 (the exact power of
  // two is folded into the scaling, so it cannot overflow early).
  template <int kLog2Scale = 0, bool kExtended = false, class G>
  HWY_INLINE V<D> MulSigmoidDerivative(D d, G g) const {
    // (1 + e)^2 = p + p_lo: den^2 exactly, plus 2 den den_lo.
    V<D> p_lo;
    const V<D> p = TwoProduct(d, den, den, &p_lo);
    p_lo = hn::MulAdd(hn::Add(den, den), kExtended ? den_lo_ext : den_lo, p_lo);
    V<D> lo;
    const V<D> hi = TimesExact(d, g, n, &lo);
    V<D> t;
    if constexpr (kExtended) {
      if constexpr (kIsUnit<G>) {
        lo = n_lo;
      } else {
        lo = hn::MulAdd(g, n_lo, lo);
      }
      t = DivideCorrected<true>(d, hi, lo, p, p_lo, hn::Mul(r, r));
    } else {
      t = DivideCorrected<!kIsUnit<G>>(d, hi, lo, p, p_lo, hn::Mul(r, r));
    }
    if constexpr (kLog2Scale == 0) {
      return parts.Scale(t);
    } else if constexpr (kHaveScalef) {
      return Scalef(d, t, hn::Add(parts.q, hn::Set(d, kLog2Scale)));
    } else {
      // Before the scaling, which may round into the subnormal range.
      return parts.Scale(hn::Mul(t, hn::Set(d, static_cast<hn::TFromD<D>>(1 << kLog2Scale))));
    }
  }
  // g (sigmoid(z) + s sigmoid'(z)), s = s_hi + s_lo: the derivative of
  // x sigmoid(z(x)) with s = x z'(x) (swish: s = z). With D = 1 + e:
  //   z >= 0:  (D + s e) / D^2,
  //   z < 0:   e (D + s) / D^2,
  // the numerator's sums exact where they cancel (D + s near a zero of f':
  // Sterbenz) and carried as hi + lo elsewhere, the product with e and g
  // exact, one corrected division, then the scaling by 2^q for z < 0 (so g f'
  // stays accurate where f' alone is subnormal). Accurate to a few ULP of
  // the element type except right at a zero of f', where it is absolute.
  //
  // kExtended: the exponential's rounding carried too (float32 natively).
  // `near` (optional): lanes where the caller supplies D + s itself as
  // w + w_lo, closer to the zero of D + s than the exponential's residual
  // error allows (a series around the zero).
  //
  // |s| <= kScaledFactorMax (and s_lo below an ULP of s): g times D + s,
  // formed before the scaling, must stay finite, or inf times the zero scale
  // gives NaN. Callers clamp (swish's Slope: s = z clamped below where the
  // result is 0 anyway; gelu_tanh: x clamped to 1e40 in float64).
  template <bool kExtended = false, class G>
  HWY_INLINE V<D> SigmoidPlusSlope(D d, V<D> s, V<D> s_lo, G g,
                                   const hn::Mask<D>* near = nullptr, V<D> w = V<D>(),
                                   V<D> w_lo = V<D>()) const {
    const V<D> dlo = kExtended ? den_lo_ext : den_lo;
    // z >= 0: D + s e, |s e| <= 1/e < D.
    V<D> se_lo;
    const V<D> se = TwoProduct(d, s, e, &se_lo);
    if constexpr (kExtended) se_lo = hn::MulAdd(s, e_lo, se_lo);
    V<D> a_lo;
    const V<D> a_pos = Fast2Sum<D>(den, se, &a_lo);
    a_lo = hn::Add(a_lo, hn::Add(dlo, hn::MulAdd(s_lo, e, se_lo)));
    // z < 0: D + s (exact where it cancels: Sterbenz), then times n.
    V<D> b = hn::Add(den, s);
    V<D> b_lo = hn::Add(dlo, s_lo);
    if (near != nullptr) {
      b = hn::IfThenElse(*near, w, b);
      b_lo = hn::IfThenElse(*near, w_lo, b_lo);
    }
    V<D> nb_lo;
    const V<D> nb = TwoProduct(d, n, b, &nb_lo);
    nb_lo = hn::MulAdd(n, b_lo, nb_lo);
    if constexpr (kExtended) nb_lo = hn::MulAdd(n_lo, b, nb_lo);
    V<D> hi = hn::IfThenElse(negative, nb, a_pos);
    V<D> lo = hn::IfThenElse(negative, nb_lo, a_lo);
    TimesHiLo(d, g, &hi, &lo);
    return parts.ScaleWhere(negative, DivideBySquare(d, hi, lo, den, dlo, r));
  }
};

// c[0] + c[1] u + ... + c[N-1] u^(N-1) by Horner's rule, one FMA a step
// (the polynomials of the series and tail fits).
template <class D, typename C, size_t N>
HWY_INLINE V<D> Horner(D d, V<D> u, const C (&c)[N]) {
  V<D> p = hn::Set(d, c[N - 1]);
  for (size_t i = N - 1; i-- > 0;) p = hn::MulAdd(p, u, hn::Set(d, c[i]));
  return p;
}

// erfcx(z) = exp(z^2) erfc(z) for z >= 0, as a polynomial in
// t = (z - 3) / (z + 3): coefficients from tools/fit_erfcx.py (K = 3,
// degree 23: fit error 1.7e-17, max relative error of this evaluation 3e-15
// on [0, 27]). Double only; float kernels promote.
template <class D>
HWY_INLINE V<D> ErfcxNonNegative(D d, V<D> z) {
  static_assert(sizeof(hn::TFromD<D>) == 8, "erfcx is evaluated in double");
  static constexpr double kPoly[] = {
      1.3893769242217411e-10,  6.383820574704045e-10,
      -8.827472957259754e-10,  -6.9923567668061646e-09,
      2.7582429601202833e-10,  4.4082708584398e-08,
      2.9535509860522218e-08,  -2.3200197160634688e-07,
      -2.9472888156986324e-07, 1.2508474781369847e-06,
      2.120369120028365e-06,   -7.977448543897518e-06,
      -1.2860598662983321e-05, 6.40563691709428e-05,
      4.5255316174464566e-05,  -0.0005970619162657594,
      0.0007077464371184603,   0.004269136329526542,
      -0.024392499318576535,   0.07166583719815463,
      -0.1501159365007792,     0.24560380171232718,
      -0.3262335600430372,     0.17900115118138996,
  };
  const V<D> k3 = hn::Set(d, 3.0);
  // z = +inf gives t = NaN: erfcx(inf) = 0 is restored by the caller through
  // the exponential factor, which is 0 there.
  const V<D> t = hn::Div(hn::Sub(z, k3), hn::Add(z, k3));
  V<D> p = hn::Set(d, kPoly[0]);
  for (size_t i = 1; i < sizeof(kPoly) / sizeof(kPoly[0]); ++i) {
    p = hn::MulAdd(p, t, hn::Set(d, kPoly[i]));
  }
  return p;
}

// ---------------------------------------------------------------------------
// float32 kernels computed in float64 lanes (celu, softsign, logsigmoid,
// hardsigmoid, hardswish, rrelu). A float32 kernel that promises correct
// rounding can do its arithmetic on the two halves of its vector promoted to
// float64 and round once when it demotes them. Unlike the driver's float64
// path (kFloat*ViaDouble), whose float64 kernels are accurate to float64's own
// ULPs, the float64 work here needs only float32's accuracy: a relative error
// of 2^-36 before the final rounding costs 2^-12 ULP of float32. So it takes
// shorter polynomials and no division (VDIVPD on 512 bits costs 16 cycles per
// 8 lanes: slower than all the rest of such a kernel). For FMA targets; the
// others take the driver's path (kFloatViaDouble).

// The float32 kernels that use these helpers (FMA targets); a kernel chooses
// its float32 variant with KernelInWideLanes.
template <class D>
inline constexpr bool kFloatInWideLanes = sizeof(hn::TFromD<D>) == 4 && !kFloatViaDouble;
template <class D, template <class> class FloatKernel, template <class> class Kernel>
using KernelInWideLanes = std::conditional_t<kFloatInWideLanes<D>, FloatKernel<D>, Kernel<D>>;

// The float64 tag of half a float32 vector (a full vector of its own).
template <class DF>
using WideHalf = hn::Rebind<double, hn::Half<DF>>;

// A float32 vector as two float64 vectors.
template <class DF>
struct Halves {
  V<WideHalf<DF>> lo, hi;
};
template <class DF>
HWY_INLINE Halves<DF> PromoteHalves(DF /*df*/, V<DF> v) {
#if HWY_TARGET == HWY_SCALAR
  static_assert(sizeof(DF) == 0, "one lane has no halves (kFloatViaDouble there)");
  return {};
#else
  const hn::Half<DF> dh;
  const WideHalf<DF> dw;
  return {hn::PromoteTo(dw, hn::LowerHalf(dh, v)), hn::PromoteTo(dw, hn::UpperHalf(dh, v))};
#endif
}
// Rounds each lane once (IEEE conversion: overflow to inf, subnormals kept).
template <class DF>
HWY_INLINE V<DF> DemoteHalves(DF df, V<WideHalf<DF>> lo, V<WideHalf<DF>> hi) {
#if HWY_TARGET == HWY_SCALAR
  static_assert(sizeof(DF) == 0, "one lane has no halves (kFloatViaDouble there)");
  return hn::Zero(df);
#else
  const hn::Half<DF> dh;
  return hn::Combine(df, hn::DemoteTo(dh, hi), hn::DemoteTo(dh, lo));
#endif
}

// g times a float64 result held as two halves, rounded once to float32 (Unit
// g: the halves themselves).
template <class DF, class G>
HWY_INLINE V<DF> DemoteTimes(DF df, G g, V<WideHalf<DF>> lo, V<WideHalf<DF>> hi) {
  if constexpr (!kIsUnit<G>) {
    const Halves<DF> gh = PromoteHalves(df, g);
    lo = hn::Mul(lo, gh.lo);
    hi = hn::Mul(hi, gh.hi);
  }
  return DemoteHalves(df, lo, hi);
}

// 1 / v to about 2^-52 (float64 lanes, v normal). AVX-512: VRCP14PD (2^-14)
// and two Newton steps, each squaring the error; elsewhere a division.
template <class DW>
HWY_INLINE V<DW> ReciprocalForFloat(DW dw, V<DW> v) {
  static_assert(sizeof(hn::TFromD<DW>) == 8, "float64 lanes");
  const V<DW> one = hn::Set(dw, 1.0);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  static_assert(hn::MaxLanes(DW()) == 8, "full vectors only");
  V<DW> r{_mm512_rcp14_pd(v.raw)};
  r = hn::MulAdd(r, hn::NegMulAdd(v, r, one), r);
  return hn::MulAdd(r, hn::NegMulAdd(v, r, one), r);
#else
  return hn::Div(one, v);
#endif
}

// e^x for x <= 0 (or NaN) in float64 lanes, to float32's needs: e^x = (1 +
// pm1) 2^k, r = x - k ln2 in one FMA (|r| <= ln2/2; ln2's rounding costs
// k 2^-54 <= 2^-46 for the clamped k), e^r - 1 = r + r^2 P(r) with P of
// degree 6 (tools/fit_float_grade.py: relative error 1.0e-11 = 2^-36.5,
// 2^-12.5 ULP of float32).
// x is clamped at -200, where e^x times the largest float32 factor is
// still below half of float32's denorm_min, so 2^k stays a normal float64.
template <class DW>
struct ExpForFloat {
  V<DW> pm1;    // e^r - 1
  V<DW> scale;  // 2^k
  HWY_INLINE V<DW> Exp() const { return hn::MulAdd(scale, pm1, scale); }
  // e^x - 1 = 2^k pm1 + (2^k - 1), 2^k - 1 exact for k >= -53; for k = 0 it
  // is pm1 itself, relatively accurate near x = 0.
  HWY_INLINE V<DW> Expm1(DW dw) const {
    return hn::MulAdd(scale, pm1, hn::Sub(scale, hn::Set(dw, 1.0)));
  }
  // f e^x.
  HWY_INLINE V<DW> MulExp(V<DW> f) const { return hn::Mul(hn::MulAdd(f, pm1, f), scale); }
};
template <class DW>
HWY_INLINE ExpForFloat<DW> ExpNonPositiveForFloat(DW dw, V<DW> x) {
  static constexpr double kExpm1Poly[] = {
      2.4859578222960327e-05, 0.00019899273958984547, 0.0013888854049614416,
      0.008333298483754484,   0.041666666718980845,   0.16666666718997508,
      0.5,
  };
  const V<DW> xc = hn::Max(hn::Set(dw, -200.0), x);  // keeps a NaN x
  const V<DW> k = hn::Round(hn::Mul(xc, hn::Set(dw, 1.4426950408889634)));
  const V<DW> r = hn::NegMulAdd(k, hn::Set(dw, 0.6931471805599453), xc);
  V<DW> p = hn::Set(dw, kExpm1Poly[0]);
  for (size_t i = 1; i < sizeof(kExpm1Poly) / sizeof(kExpm1Poly[0]); ++i) {
    p = hn::MulAdd(p, r, hn::Set(dw, kExpm1Poly[i]));
  }
  return {hn::MulAdd(hn::Mul(p, r), r, r), Pow2(dw, k)};
}

// log(1 + e) for e in [0, 1] in float64 lanes, to float32's needs (relative
// error ~2^-43). 1 + e = 2^j m with m in [sqrt(1/2), sqrt(2)], log(1 + e) =
// j ln2 + 2 atanh(z), z = (m - 1) / (m + 1) = e / (2 + e) for j = 0 or
// (e - 1) / (e + 3) for j = 1 (e > sqrt(2) - 1): numerators exact, |z| <=
// 3 - 2 sqrt(2), and 2 atanh(z) = 2z + z^3 R(z^2) with R of degree 4
// (tools/fit_float_grade.py: 1.1e-13). The sum with ln2 does not cancel
// (2 atanh(z) >= -0.35).
template <class DW>
HWY_INLINE V<DW> Log1pForFloat(DW dw, V<DW> e) {
  static constexpr double kAtanhPoly[] = {
      0.19362653728554163, 0.22191400829569832, 0.28571754535926125,
      0.39999998797337527, 0.6666666666737509,
  };
  const V<DW> one = hn::Set(dw, 1.0);
  const auto upper = hn::Gt(e, hn::Set(dw, 0.41421356237309503));
  const V<DW> num = hn::IfThenElse(upper, hn::Sub(e, one), e);
  const V<DW> den = hn::Add(e, hn::IfThenElse(upper, hn::Set(dw, 3.0), hn::Set(dw, 2.0)));
  const V<DW> z = hn::Mul(num, ReciprocalForFloat(dw, den));
  const V<DW> w = hn::Mul(z, z);
  V<DW> p = hn::Set(dw, kAtanhPoly[0]);
  for (size_t i = 1; i < sizeof(kAtanhPoly) / sizeof(kAtanhPoly[0]); ++i) {
    p = hn::MulAdd(p, w, hn::Set(dw, kAtanhPoly[i]));
  }
  const V<DW> l = hn::MulAdd(hn::Mul(z, w), p, hn::Add(z, z));
  return hn::Add(l, hn::IfThenElseZero(upper, hn::Set(dw, 0.6931471805599453)));
}

// ---------------------------------------------------------------------------
// selu and celu (session 17): ExpNonPositiveForFloat's e^x with a 16-entry
// table on AVX-512, where the table lookup (VPERMT2PD) and the scaling
// (VSCALEFPD) are one instruction each: e^x = 2^k T[j] (1 + pm1), kj = 16 k
// + j = round(16 x / ln2) from the shifter 1.5 2^52 (the low four bits of
// its sum are j, VPERMT2PD reads only those), T[j] = 2^(j/16) (40-digit
// mpmath, rounded to float64), r = x - kj ln2/16 in one FMA (|r| <= ln2/32;
// ln2/16's rounding costs kj 2^-57 <= 2^-44 for the clamped kj), and e^r - 1
// = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120): Taylor's remainder r^6/720 <=
// 1.5e-13 is 2^-37 of |e^x - 1| wherever kj != 0 (there |e^x - 1| >= 0.021;
// for kj = 0, T[0] = 1 and pm1 is e^x - 1 itself). Three operations fewer
// per vector than the degree-6 polynomial. Same ExpForFloat as
// ExpNonPositiveForFloat (scale = 2^k T[j], normal for x >= -200; scale - 1
// exact for k >= -1, 2^-53 of a result >= 0.75 below), which it is on the
// other targets.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// T[j] = 2^(j/16), j in [0, 16) (40-digit mpmath, rounded to float64): the
// table of ExpNonPositiveForFloatTable below and of swish-inl.h's
// ExpNegForSilu, read by VPERMT2PD as two 8-lane halves.
alignas(64) inline constexpr double kTwoToJ16[16] = {
    1.0,                1.0442737824274138, 1.0905077326652577, 1.1387886347566916,
    1.189207115002721,  1.241857812073484,  1.2968395546510096, 1.3542555469368927,
    1.4142135623730951, 1.4768261459394993, 1.5422108254079407, 1.6104903319492543,
    1.681792830507429,  1.7562521603732995, 1.8340080864093424, 1.9152065613971474,
};
#endif
template <class DW>
HWY_INLINE ExpForFloat<DW> ExpNonPositiveForFloatTable(DW dw, V<DW> x) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  static_assert(hn::MaxLanes(DW()) == 8 && sizeof(hn::TFromD<DW>) == 8, "full float64 vectors");
  static constexpr double kExpm1Taylor[] = {1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120};
  const V<DW> xc = hn::Max(hn::Set(dw, -200.0), x);  // keeps a NaN x
  const V<DW> shifter = hn::Set(dw, 0x1.8p52);
  const V<DW> t = hn::MulAdd(xc, hn::Set(dw, 23.083120654223414), shifter);  // 16 / ln2
  const V<DW> kj = hn::Sub(t, shifter);
  const V<DW> r = hn::NegMulAdd(kj, hn::Set(dw, 0.04332169878499658), xc);  // ln2 / 16
  const V<DW> tj{_mm512_permutex2var_pd(hn::Load(dw, kTwoToJ16).raw, _mm512_castpd_si512(t.raw),
                                        hn::Load(dw, kTwoToJ16 + 8).raw)};
  const V<DW> scale = Scalef(dw, tj, hn::Mul(kj, hn::Set(dw, 1.0 / 16)));  // 2^floor(kj/16)
  const V<DW> pm1 = hn::MulAdd(hn::Mul(r, r), Horner(dw, r, kExpm1Taylor), r);
  return {pm1, scale};
#else
  return ExpNonPositiveForFloat(dw, x);
#endif
}

// ---------------------------------------------------------------------------
// kernels11 (session 18): float32 kernels in float64 lanes on AVX-512 only
// (gelu, gelu_tanh). There VPERMT2PD reads a 16-entry float64 table and
// VRCP14PD seeds a reciprocal, so the float64 work costs less than hi + lo
// pairs in float32; on AVX2 it would not (4-lane float64 vectors, no such
// permute), and the function keeps its Generic kernel. Wide must be
// declared on every target; it need be defined only where it is picked
// (gelu's uses AVX-512 intrinsics, so it is defined under the same #if).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr bool kWideLanes512 = true;
#else
inline constexpr bool kWideLanes512 = false;
#endif
template <class D, template <class> class Wide, template <class> class Generic>
using KernelInWideLanes512 =
    std::conditional_t<kWideLanes512 && sizeof(hn::TFromD<D>) == 4 && hn::MaxLanes(D()) == 16,
                       Wide<D>, Generic<D>>;

// ---------------------------------------------------------------------------
// kernels21 (session 21): ExpParts::ScaleWhere in one instruction on AVX-512,
// VSCALEFPS/PD with merge masking (lanes outside m keep v), where ScaleWhere
// zeroes q outside m first (a masked move, then VSCALEF): the same bits,
// v 2^0 = v. Elsewhere ScaleWhere itself.
template <class D>
HWY_INLINE V<D> ScaleWhereMasked(const ExpParts<D>& p, hn::Mask<D> m, V<D> v) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  using T = hn::TFromD<D>;
  static_assert(hn::MaxLanes(D()) * sizeof(T) == 64, "full vectors only");
  if constexpr (sizeof(T) == 4) {
    return V<D>{_mm512_mask_scalef_ps(v.raw, m.raw, v.raw, p.q.raw)};
  } else {
    return V<D>{_mm512_mask_scalef_pd(v.raw, m.raw, v.raw, p.q.raw)};
  }
#else
  return p.ScaleWhere(m, v);
#endif
}

// ---------------------------------------------------------------------------
// kernels15 (session 20), kernels21 (session 21): g sigmoid(z) from the
// exponential's parts alone, shared by softplus (float32 f' at beta = 1:
// z = x) and logsigmoid (f' = sigmoid(-x); float32, and float64 on FMA
// targets since session 21). p = ComputeExpParts*(-|z|), so
// e = exp(-|z|) = n 2^q; one_num = lanes where the numerator is 1 (z > 0;
// z = 0 may go either way, e = 1 there). sigmoid(z) = num / (1 + e), num = 1
// or n, then 2^q where num = n (after the division, so g f' keeps its
// digits where f' alone is subnormal).
//
// The division: t0 = num r, r ~ 1 / (1 + e) (Reciprocal: VRCP14PS for
// float32 on AVX-512, else a division) held at
// >= 1/2 (1 / (1 + e) >= 1/2 as e <= 1), so that t0 lies in [num/2, 2 num]
// and num - t0 is exact (Sterbenz); the residual num - t0 (1 + e) =
// (num - t0) - t0 e then needs no exact 1 + e (no Fast2Sum) and one FMA,
// whose rounding (2^-24 of a residual below 2^-13 num) is negligible.
// Where num = n, n's own rounding is carried (n_lo = 1 + pm1 - n, exact,
// moves n / (1 + n 2^q) by n_lo / (1 + e)^2 to first order: n_lo r into the
// residual), not the polynomial's nor the reduced argument's (about 2^-25 of
// n together). t = t0 + c, c = res r; g is applied to that pair, g t0 + g c
// rounded once by the last FMA (g c's rounding is 2^-24 of a term below
// 2^-13 of the result) instead of forming g num exactly before the division:
// two multiplications fewer (session 20's version, same error). Carrying the
// exponential's other errors (ExpParts::NLo) gives 0.89 ULP but cost
// logsigmoid's f' and g f' 17 % of their speed on AVX-512 (session 20,
// docs/benchmarks.md); Logistic::MulSigmoid<true> carries everything for
// more still.
// The steps above for any exponential given as e = n 2^q (parts' q and
// scale) with n's rounding n_lo (e^r - n, rounded once): MulSigmoidFromParts
// and MulSigmoidFromN differ only in where n and n_lo come from.
template <class D, class G>
HWY_INLINE V<D> MulSigmoidOfN(D d, const ExpParts<D>& parts, V<D> n, V<D> n_lo,
                              hn::Mask<D> one_num, G g) {
  const V<D> one = hn::Set(d, 1);
  const V<D> e = parts.Scale(n);
  const V<D> half = hn::Set(d, static_cast<hn::TFromD<D>>(0.5));
  const V<D> r = hn::Max(Reciprocal(d, hn::Add(one, e)), half);
  const V<D> num = hn::IfThenElse(one_num, one, n);
  const V<D> t0 = hn::Mul(num, r);
  V<D> res = hn::NegMulAdd(t0, e, hn::Sub(num, t0));
  res = hn::MulAdd(hn::IfThenZeroElse(one_num, n_lo), r, res);
  V<D> t;
  if constexpr (kIsUnit<G>) {
    t = hn::MulAdd(res, r, t0);
  } else {
    t = hn::MulAdd(g, t0, hn::Mul(g, hn::Mul(res, r)));
  }
  return ScaleWhereMasked(parts, hn::Not(one_num), t);
}

// An empty asm that reads and writes a and b (AVX-512; elsewhere nothing):
// GCC emits every operation that computes them before it and every one that
// reads them after, in program order. A kernel's ValuePair (kernels.cc,
// LoopForwardPairs) puts it between its two states and its two results, so
// that both states are computed first: GCC otherwise sinks the second
// state's operations to their first use, after the first result (session
// 30, kernels52: docs/benchmarks.md). Values and bits are unchanged.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
template <class VA, class VB>
HWY_INLINE void ComputedBefore(VA& a, VB& b) {
  asm volatile("" : "+v"(a.raw), "+v"(b.raw));
}
#else
template <class VA, class VB>
HWY_INLINE void ComputedBefore(VA&, VB&) {}
#endif

template <class D, class G>
HWY_INLINE V<D> MulSigmoidFromParts(D d, const ExpParts<D>& p, hn::Mask<D> one_num, G g) {
  const V<D> n = p.N(d);
  return MulSigmoidOfN(d, p, n, hn::Add(hn::Sub(hn::Set(d, 1), n), p.pm1), one_num, g);
}

// ---------------------------------------------------------------------------
// kernels20 (session 21): selu and celu in float32 lanes (they were computed
// in float64 lanes for their 0.5-ULP bounds). A constant c is held as c_hi +
// c_lo (c_hi = c rounded to float32), e^x - 1 as h + l, and each result is
// one FMA c_hi h + (c_lo h + c_hi l): the products' roundings and c's own
// stay below 2^-24 of the last one.

// e^x - 1 = h + *lo for x <= 0 (or NaN) from ComputeExpParts*: with s = 2^q,
// h = s pm1 + (s - 1) rounded once; s - 1 is exact for q >= -24, and below
// its rounding (s itself, at most 2^-25) goes into lo; h's rounding is
// recovered exactly (s - 1 - h is exact by Sterbenz: |s pm1| <= |s - 1| / 2
// for q <= -1, and s - 1 = 0 for q = 0), and s pm1_lo (the polynomial's last
// rounding and the reduced argument's) is added to lo. About 2^-40 of |e^x
// - 1| but the polynomial's own error (0.02 ULP) and its evaluation's.
template <class D>
HWY_INLINE V<D> Expm1NonPositiveHiLo(D d, const ExpParts<D>& e, V<D>* lo) {
  const V<D> one = hn::Set(d, 1);
  const V<D> s = e.Pow2Q(d);
  const V<D> sm1 = hn::Sub(s, one);
  const V<D> sm1_lo = hn::Sub(s, hn::Add(sm1, one));  // 0 but for q < -24
  const V<D> h = hn::MulAdd(s, e.pm1, sm1);
  const V<D> h_err = hn::MulAdd(s, e.pm1, hn::Sub(sm1, h));
  *lo = hn::Add(h_err, hn::MulAdd(s, e.pm1_lo, sm1_lo));
  return h;
}

// (a + a_lo) e^x, rounded once before the scaling by 2^q (so it keeps its
// digits where e^x alone is subnormal; the scaling rounds again only where
// the result is subnormal): u = a (1 + pm1) rounded, its rounding recovered
// (a - u is exact by Sterbenz: 1 + pm1 is in [0.7, 1.42]; the FMA rounds
// the error itself, 2^-24 of it), plus a pm1_lo + a_lo (1 + pm1).
template <class D>
HWY_INLINE V<D> MulExpHiLo(const ExpParts<D>& e, V<D> a, V<D> a_lo) {
  const V<D> u = hn::MulAdd(a, e.pm1, a);
  const V<D> u_err = hn::MulAdd(a, e.pm1, hn::Sub(a, u));
  const V<D> c = hn::MulAdd(a_lo, e.pm1, hn::MulAdd(a, e.pm1_lo, a_lo));
  return e.Scale(hn::Add(u, hn::Add(u_err, c)));
}
// a e^x, a exact (a_lo = 0).
template <class D>
HWY_INLINE V<D> MulExpHiLo(const ExpParts<D>& e, V<D> a) {
  const V<D> u = hn::MulAdd(a, e.pm1, a);
  const V<D> u_err = hn::MulAdd(a, e.pm1, hn::Sub(a, u));
  return e.Scale(hn::Add(u, hn::MulAdd(a, e.pm1_lo, u_err)));
}

// (c_hi + c_lo)(v + v_lo) rounded once, v finite: v_lo and c_lo are below
// 2^-23 of v and c_hi, so c_lo v_lo (2^-46) is dropped and the inner FMAs'
// roundings are 2^-48 of the result.
template <class D>
HWY_INLINE V<D> MulConstHiLo(D /*d*/, V<D> c_hi, V<D> c_lo, V<D> v, V<D> v_lo) {
  return hn::MulAdd(c_hi, v, hn::MulAdd(c_lo, v, hn::Mul(c_hi, v_lo)));
}

// c_hi + c_lo + y as hi + *lo for |y| below 2 |c_hi| (beyond, within a
// rounding): Fast2Sum, exact where the sum cancels (y near -c_hi). lo is
// formed from y clamped at y_floor (-2^30 |c_hi|, say), so that y = -inf
// gives hi = -inf and a finite lo (Fast2Sum alone: inf - inf = NaN); below
// y_floor hi is y + c_hi rounded and lo, at most |c_hi|, is below half an
// ULP of it.
template <class D>
HWY_INLINE V<D> AddConstHiLo(D /*d*/, V<D> c_hi, V<D> c_lo, V<D> y, V<D> y_floor, V<D>* lo) {
  const V<D> yc = hn::Max(y, y_floor);
  *lo = hn::Add(hn::Sub(yc, hn::Sub(hn::Add(yc, c_hi), c_hi)), c_lo);
  return hn::Add(y, c_hi);
}

// ---------------------------------------------------------------------------
// kernels25 (session 22): float32 e^a for a <= 0 (or NaN) as n 2^q, with n =
// e^r evaluated for n itself: n = 1 + r p1, p1 = 1 + r (c2 + ... + c6 r^4)
// by Horner, six FMAs, where ComputeExpParts forms pm1 = r + r^2 P(r) (P of
// degree 5: five FMAs, a product, an FMA) and then n = 1 + pm1 (an add): two
// operations fewer on the FMA pipes. c2..c6: minimax in relative error over
// |r| <= ln2/2 (/tmp fit, 40-digit mpmath, iteratively reweighted least
// squares on 4000 Chebyshev nodes), rounded to float: truncation 2^-28.0 of
// e^r (ExpReducedPoly's degree 7 was 0.02 ULP; this is 1/16 ULP).
// n's rounding is recovered exactly by NLo = fma(p1, r, 1 - n) (1 - n exact,
// Sterbenz: n in [0.7, 1.42]); what is left is p1's rounding times |r| <=
// 0.35 (0.09 ULP of n: p1 < 1 exactly where n < 1) and r's own rounding
// (Cody-Waite, as ComputeExpParts), where ComputeExpParts leaves pm1's
// rounding (up to 0.25 ULP of n) uncarried. For MulSigmoidFromN (below):
// FMA targets only (NLo needs a fused multiply-add).
template <class D>
struct ExpN {
  ExpParts<D> parts;  // q (and s1, s2 without VSCALEF); pm1, pm1_lo unused
  V<D> n, p1, r;
  // e^r - n, rounded once.
  HWY_INLINE V<D> NLo(D d) const { return hn::MulAdd(p1, r, hn::Sub(hn::Set(d, 1), n)); }
};
template <class D>
HWY_INLINE ExpN<D> ComputeExpNNonPositive(D d, V<D> a) {
  static_assert(sizeof(hn::TFromD<D>) == 4, "float32 only (the coefficients)");
  using Tr = FloatTraits<float>;
  const float kMin = kHaveScalef ? Tr::kExpMinScalef : Tr::kExpMin;
  const V<D> xc = hn::Max(hn::Set(d, kMin), a);  // keeps a NaN a
  const V<D> q = hn::Round(hn::Mul(xc, hn::Set(d, 1.4426950408889634f)));
  const V<D> r1 = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Hi), xc);
  ExpN<D> e;
  e.r = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Lo), r1);
  V<D> p = hn::Set(d, 0.001381453825160861f);
  p = hn::MulAdd(p, e.r, hn::Set(d, 0.00836874544620514f));
  p = hn::MulAdd(p, e.r, hn::Set(d, 0.04166838899254799f));
  p = hn::MulAdd(p, e.r, hn::Set(d, 0.1666652113199234f));
  p = hn::MulAdd(p, e.r, hn::Set(d, 0.4999999403953552f));
  const V<D> one = hn::Set(d, 1);
  e.p1 = hn::MulAdd(p, e.r, one);
  e.n = hn::MulAdd(e.p1, e.r, one);
  e.parts.pm1 = hn::Sub(e.n, one);
  e.parts.pm1_lo = hn::Zero(d);
  e.parts.SetScale(d, q, hn::Lt(a, hn::Set(d, kMin)));
  return e;
}

// MulSigmoidFromParts (above, the same steps and error analysis) on ExpN:
// g sigmoid(z) for e = ComputeExpNNonPositive(-|z|), one_num = lanes where z
// > 0 (either way at z = 0). Float32 on FMA targets.
template <class D, class G>
HWY_INLINE V<D> MulSigmoidFromN(D d, const ExpN<D>& p, hn::Mask<D> one_num, G g) {
  return MulSigmoidOfN(d, p.parts, p.n, p.NLo(d), one_num, g);
}

// A constant c as a nearest pair hi + lo in T: hi = c rounded to T, lo = c -
// hi (exact in long double) rounded to T, so that c v = hi v + lo v to about
// 2^-2p of c v (selu's scale and scale alpha, celu's alpha and 1 / alpha).
// A float64 c converts to long double exactly, so its split is the same as
// one formed in double. c beyond T's range gives hi = inf, lo = -inf.
template <typename T>
struct SplitConstant {
  T hi, lo;
};
template <typename T>
constexpr SplitConstant<T> SplitNearest(long double c) {
  const T hi = static_cast<T>(c);
  return {hi, static_cast<T>(c - static_cast<long double>(hi))};
}

// ---------------------------------------------------------------------------
// kernels38 (session 25): g sigmoid(z) in float32 for z = +-x, from x itself,
// with the bits of
//   MulSigmoidFromN(d, ComputeExpNNonPositive(d, -|x|), Not(scaled), g)
// and, where `keep` is set, g itself (softplus' linear branch), for the
// backward loops of softplus (z = x, scaled = x < 0) and logsigmoid (z = -x,
// scaled = x >= 0); NaN lanes of x excepted (the driver stores x there). On
// AVX-512 five vector operations fewer, every one of them a rewrite that
// cannot change a bit (session 25, docs/benchmarks.md):
//  - max(kMin, -|x|) is one VRANGEPS (-min(|x|, |kMin|): the absolute
//    minimum with the sign set), where an OR and a MAX were two;
//  - no Max(r, 1/2) after VRCP14PS: r = VRCP14PS(1 + e) with 1 + e in [1, 2]
//    is >= 1/2 for every float32 there (checked for all 2^23 + 1 of them;
//    VRCP14PS is specified to the bit), so the Max never changed r;
//  - n_lo r is added to the residual by a masked FMA (merge: lanes where num
//    = 1 keep res), not by an FMA with n_lo zeroed there: fma(0, r, res) is
//    res, as res = (1 - t0) - t0 e cannot be -0 (an FMA's exact zero is +0
//    unless both addends are -0, and 1 - t0 = -0 is impossible);
//  - the linear lanes take g from the last FMA's merge mask (its first
//    operand is g: g t0 + g c, g where the mask is off) instead of a blend
//    after it; those lanes are not scaled (x > 0 there);
//  - the mask of lanes that are scaled is x < 0 (x >= 0 for logsigmoid)
//    itself, not the inverse of the other compare (one KNOT): the two
//    differ only for NaN x.
// AVX-512 only (callers keep the composition elsewhere: the same code there).
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// Its steps up to the reciprocal (Begin: the exponential of -|x| and 1 /
// (1 + e)) and after it (Finish), apart, for a pair hook that puts
// ComputedBefore between two vectors' Begins and their Finishes (softplus'
// backward, session 31: kernels.cc, LoopBackwardPairs).
template <class D>
struct SigmoidOfAbsX {
  V<D> q, r, p1, n, e, rr;
};
template <class D>
HWY_INLINE SigmoidOfAbsX<D> SigmoidOfAbsXBegin(D d, V<D> x) {
  static_assert(sizeof(hn::TFromD<D>) == 4, "float32 only");
  static_assert(hn::MaxLanes(D()) == 16, "full vectors only");
  using Tr = FloatTraits<float>;
  SigmoidOfAbsX<D> s;
  // ComputeExpNNonPositive's steps on xc = max(kExpMinScalef, -|x|).
  const V<D> xc{_mm512_range_ps(x.raw, hn::Set(d, Tr::kExpMinScalef).raw, 0x0E)};
  s.q = hn::Round(hn::Mul(xc, hn::Set(d, 1.4426950408889634f)));
  const V<D> r1 = hn::NegMulAdd(s.q, hn::Set(d, Tr::kLn2Hi), xc);
  s.r = hn::NegMulAdd(s.q, hn::Set(d, Tr::kLn2Lo), r1);
  V<D> p = hn::Set(d, 0.001381453825160861f);
  p = hn::MulAdd(p, s.r, hn::Set(d, 0.00836874544620514f));
  p = hn::MulAdd(p, s.r, hn::Set(d, 0.04166838899254799f));
  p = hn::MulAdd(p, s.r, hn::Set(d, 0.1666652113199234f));
  p = hn::MulAdd(p, s.r, hn::Set(d, 0.4999999403953552f));
  const V<D> one = hn::Set(d, 1);
  s.p1 = hn::MulAdd(p, s.r, one);
  s.n = hn::MulAdd(s.p1, s.r, one);
  // MulSigmoidOfN's steps.
  s.e = Scalef(d, s.n, s.q);
  s.rr = hn::ApproximateReciprocal(hn::Add(one, s.e));
  return s;
}
template <class D>
HWY_INLINE V<D> MulSigmoidOfAbsXFinish(D d, const SigmoidOfAbsX<D>& s, hn::Mask<D> scaled,
                                       V<D> g, const hn::Mask<D>* keep = nullptr) {
  const V<D> one = hn::Set(d, 1);
  const V<D> num = hn::IfThenElse(scaled, s.n, one);
  const V<D> t0 = hn::Mul(num, s.rr);
  V<D> res = hn::NegMulAdd(t0, s.e, hn::Sub(num, t0));
  const V<D> n_lo = hn::MulAdd(s.p1, s.r, hn::Sub(one, s.n));
  res = V<D>{_mm512_mask3_fmadd_ps(n_lo.raw, s.rr.raw, res.raw, scaled.raw)};
  const V<D> c = hn::Mul(g, hn::Mul(res, s.rr));
  V<D> t;
  if (keep != nullptr) {
    t = V<D>{_mm512_mask_fmadd_ps(g.raw, static_cast<__mmask16>(~keep->raw), t0.raw, c.raw)};
  } else {
    t = hn::MulAdd(g, t0, c);
  }
  return V<D>{_mm512_mask_scalef_ps(t.raw, scaled.raw, t.raw, s.q.raw)};
}
template <class D>
HWY_INLINE V<D> MulSigmoidOfAbsX(D d, V<D> x, hn::Mask<D> scaled, V<D> g,
                                 const hn::Mask<D>* keep = nullptr) {
  return MulSigmoidOfAbsXFinish(d, SigmoidOfAbsXBegin(d, x), scaled, g, keep);
}

// kernels38 (session 25): g sigmoid(z) in float64 for z = +-x (logsigmoid's
// backward: z = -x, scaled = x >= 0), for a bound of a few ULP (logsigmoid's
// 3), on AVX-512 only. Session 25's MulSigmoidOfAbsX64; since session 26
// MulSigmoidOfAbsX64Table (below) takes the same steps on a table
// exponential, and the function itself, left without callers, is gone. The
// steps of MulSigmoidOfN without a division and without n's rounding
// carried:
//  - xc = max(kExpMinScalef, -|x|) in one VRANGEPD; e^xc = n 2^q, Cody-Waite
//    as ComputeExpParts, and n = e^r itself by Horner (1 + r (1 + r (1/2 +
//    ... + r / 13!)), ExpReducedPoly's Taylor coefficients): n rounded once
//    (0.5 ULP) where ComputeExpParts rounds pm1 and then 1 + pm1;
//  - r ~ 1 / (1 + e) from VRCP14PD and one Newton step (relative error
//    below 2^-27), held at >= 1/2 (Sterbenz, below), instead of a VDIVPD;
//  - t0 = num r, num = 1 (not scaled) or n (scaled, then 2^q after the
//    division); t = t0 + (num - t0 (1 + e)) r: num - t0 is exact (t0 in
//    [num / 2, 2 num]), the residual one FMA with e itself (1 + e is not
//    rounded there), and the corrected quotient is within 2^-54 of num / (1
//    + e) plus the residual's rounding; g applied to the pair, rounded once.
// Error: n's 0.5 ULP (carried through sigmoid with a factor <= 1), the
// reduced argument's rounding, the quotient's and g's roundings: under 2
// ULP (certify --dtype=float64, docs/accuracy.md).
//
// kAccurate (softplus' backward, bound 1): n's and p1's roundings carried
// into the residual in every lane (n_lo, below; n's alone where num = n, as
// MulSigmoidOfN, gave 0.98 ULP sampled: p1's rounding times r is worth up
// to 1/2 ULP of a result at the bottom of its binade; carried only where
// num = n, 0.86 at x = 0.418, where 1 / (1 + e) takes e's error times
// e / (1 + e)) and r = 1 / (1 + e) by VDIVPD (correctly rounded, so >= 1/2
// without a Max, and the corrected quotient within 2^-100 of num / (1 +
// e)): left are the last FMA's rounding (1/2 ULP), the reduced argument's
// rounding (2^-55 of e: up to 1/4 ULP) and p's times r^2 (2^-57).
// `keep`: lanes whose result is g (softplus' linear branch; not scaled there), from the last
// FMA's merge mask.
#endif

// kernels43 (session 26): e^u 2^(-j/16) in float64 on AVX-512, for the
// scaled swish/silu form (swish-inl.h, PrepareScaled). T[j] = 2^(-j/16)
// rounded to float64 and C[j] = (2^(-j/16) - T[j]) / T[j], T's relative
// rounding (|C| < 2^-53.6), both by 60-digit mpmath; read by VPERMT2PD as
// two 8-lane halves each.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
alignas(64) inline constexpr double kTwoToMinusJ16[16] = {
    1.0,                0.9576032806985737, 0.9170040432046712, 0.8781260801866497,
    0.8408964152537145, 0.8052451659746271, 0.7711054127039704, 0.7384130729697497,
    0.7071067811865476, 0.6771277734684463, 0.6484197773255048, 0.620928906036742,
    0.5946035575013605, 0.5693943173783458, 0.5452538663326288, 0.5221368912137069,
};
alignas(64) inline constexpr double kTwoToMinusJ16Rel[16] = {
    0.0,                    -5.545065618639427e-17, 1.790126907604513e-17,
    1.685487290628973e-17,  4.875160526227062e-17,  1.5341410053603723e-17,
    5.1548301170786783e-17, -2.3591094770850053e-17, -6.835808657661922e-17,
    5.68648095791174e-17,   1.9572585293112036e-17, 3.750854201303127e-17,
    3.3484623336251524e-17, 7.826573258636076e-17,  -2.7939114859515733e-17,
    8.189317638195515e-17,
};
// table[j] for j = the low four bits of t's bit pattern, in every lane.
template <class D>
HWY_INLINE V<D> Lookup16(D d, const double* table, V<D> t) {
  static_assert(hn::MaxLanes(D()) == 8 && sizeof(hn::TFromD<D>) == 8, "full float64 vectors");
  return V<D>{_mm512_permutex2var_pd(hn::Load(d, table).raw, _mm512_castpd_si512(t.raw),
                                     hn::Load(d, table + 8).raw)};
}

// e^-z = n 2^-k for float64 z in [-1200, 50] (kernels43, session 26): kj =
// round(16 z / ln2) by the shifter 1.5 2^52 (j = kj mod 16, the low four
// bits of t), k = kj / 16 (VSCALEF floors it: 2^floor(kj / 16)), u = kj
// ln2/16 - z by two Cody-Waite steps (the first exact: kLn2Hi has 32 bits,
// |kj| < 2^15), |u| <= ln2/32 (+ 2^-40), n = T[j] e^u = T[j] (1 + pm1),
// pm1 = u + u^2 P(u), P of degree 5 (mpmath chebyfit, 50 digits: e^u to
// 2^-64 before the coefficients' and Horner's roundings), T's rounding
// carried in pm1 as C[j]. What is left of n's error: u's rounding (2^-53
// |u| <= 2^-58.5), pm1's last FMA's (2^-53 |pm1| <= 2^-58.5) and the
// truncation: about 2^-57.5 of n, where session 25's degree-9 polynomial
// on |u| <= ln2/2 left 2^-53.7. n in [0.489, 1.022]; *n_lo = the rounding
// of n itself (exact but for 2^-53 of n_lo).
template <class D>
HWY_INLINE V<D> ExpNegTable16(D d, V<D> z, V<D>* k, V<D>* n_lo) {
  static constexpr double kP[] = {
      0.5000000000000001,    0.16666666666666669,   0.04166666666358317,
      0.008333333332990724,  0.0013889063789935463, 0.00019841464175558392,
  };
  const V<D> shifter = hn::Set(d, 0x1.8p52);
  const V<D> t = hn::MulAdd(z, hn::Set(d, 23.083120654223414), shifter);  // 16 / ln2
  const V<D> kj = hn::Sub(t, shifter);
  *k = hn::Mul(kj, hn::Set(d, 1.0 / 16));
  const V<D> u1 = hn::MulSub(kj, hn::Set(d, FloatTraits<double>::kLn2Hi / 16), z);
  const V<D> u = hn::MulAdd(kj, hn::Set(d, FloatTraits<double>::kLn2Lo / 16), u1);
  const V<D> tj = Lookup16(d, kTwoToMinusJ16, t);
  const V<D> cj = Lookup16(d, kTwoToMinusJ16Rel, t);
  // P by Estrin's scheme (12 cycles of latency where Horner's took 20),
  // pm1 = (u + C) + u^2 P: one FMA on u^2.
  const V<D> u2 = hn::Mul(u, u);
  const V<D> p01 = hn::MulAdd(u, hn::Set(d, kP[1]), hn::Set(d, kP[0]));
  const V<D> p23 = hn::MulAdd(u, hn::Set(d, kP[3]), hn::Set(d, kP[2]));
  const V<D> p45 = hn::MulAdd(u, hn::Set(d, kP[5]), hn::Set(d, kP[4]));
  const V<D> p03 = hn::MulAdd(u2, p23, p01);
  const V<D> poly = hn::MulAdd(hn::Mul(u2, u2), p45, p03);
  const V<D> pm1 = hn::MulAdd(u2, poly, hn::Add(u, cj));
  const V<D> n = hn::MulAdd(tj, pm1, tj);
  *n_lo = hn::MulAdd(tj, pm1, hn::Sub(tj, n));
  return n;
}
#endif

// ---------------------------------------------------------------------------
// kernels42 (session 26): float64 e^a for a in [kExpMinScalef, 0] (or NaN)
// on AVX-512 from the 2^(j/16) table, for the float64 backwards of softplus
// and logsigmoid (MulSigmoidOfAbsX64Table, MulNegExpm1Table below). With kj =
// round(16 a / ln2) = 16 k + j (j in [0, 16)) formed as q = kj / 16 from the
// shifter 1.5 2^48, whose ULP is 1/16 (the low four bits of the sum are j,
// the only bits VPERMT2PD reads; VSCALEF floors q to k; no product by 1/16),
// r = a - q ln2 in two Cody-Waite steps (kLn2Hi has 32 significant bits and
// q at most 16 (|q| <= 2165 at the clamp): q ln2_hi is exact), |r| <=
// ln2/32:
//   e^a = 2^k T[j] (1 + c[j]) e^r = 2^k T[j] (1 + rp),
//   rp = r p1(r) + c[j], rounded once (one FMA),
// T[j] = kTwoToJ16 (rounded to float64), c[j] = (2^(j/16) - T[j]) / T[j]
// (kTwoToJ16Rel: the table's rounding, relative, 40-digit mpmath): the
// table's rounding (up to 2^-53 of e^a) is carried in rp (c[j] e^r - c[j]
// and c[j] r p1 are dropped: below 2^-59 of e^a). p1 = (e^r - 1) / r: 1 +
// r/2 + c2 r^2 + ... by Horner, coefficients fitted for absolute error of
// e^r = 1 + r p1 on |r| <= ln2/32 (iteratively reweighted least squares
// on 400 Chebyshev nodes, 40-digit mpmath, then rounded to float64; the
// script is in docs/benchmarks.md, "Session 26: softplus and logsigmoid
// float64 backwards"): kDeg = 5, five FMAs, 2^-56.2; kDeg = 6, six FMAs,
// 2^-65.2. ComputeExpParts' degree-13 Taylor polynomial on |r| <= ln2/2 is
// twelve FMAs and a product. The reduced argument's rounding is at most
// 2^-59 absolute (|r| <= ln2/32), where it was up to 2^-55 on |r| <= ln2/2.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
alignas(64) inline constexpr double kTwoToJ16Rel[16] = {
    0.0,                    8.189317638195515e-17,  -2.7939114859515733e-17, 7.826573258636076e-17,
    3.3484623336251524e-17, 3.750854201303127e-17,  1.9572585293112036e-17,  5.68648095791174e-17,
    -6.835808657661922e-17, -2.3591094770850053e-17, 5.1548301170786783e-17, 1.5341410053603723e-17,
    4.875160526227062e-17,  1.685487290628973e-17,  1.790126907604513e-17,   -5.545065618639427e-17,
};
template <class D>
struct ExpJ16 {
  V<D> q;   // kj / 16: VSCALEF scales by 2^floor(q) = 2^k
  V<D> t;   // T[j]
  V<D> rp;  // e^a = 2^k t (1 + rp)
};
template <int kDeg, class D>
HWY_INLINE ExpJ16<D> ComputeExpJ16(D d, V<D> a) {
  static_assert(sizeof(hn::TFromD<D>) == 8 && hn::MaxLanes(D()) == 8, "full float64 vectors");
  static_assert(kDeg == 5 || kDeg == 6, "fitted degrees");
  using Tr = FloatTraits<double>;
  const V<D> shifter = hn::Set(d, 0x1.8p48);
  const V<D> tt = hn::MulAdd(a, hn::Set(d, 1.4426950408889634), shifter);  // 1 / ln2
  ExpJ16<D> e;
  e.q = hn::Sub(tt, shifter);  // kj / 16, exact
  const V<D> r1 = hn::NegMulAdd(e.q, hn::Set(d, Tr::kLn2Hi), a);
  const V<D> r = hn::NegMulAdd(e.q, hn::Set(d, Tr::kLn2Lo), r1);
  const __m512i idx = _mm512_castpd_si512(tt.raw);
  e.t = V<D>{_mm512_permutex2var_pd(hn::Load(d, kTwoToJ16).raw, idx, hn::Load(d, kTwoToJ16 + 8).raw)};
  const V<D> c{
      _mm512_permutex2var_pd(hn::Load(d, kTwoToJ16Rel).raw, idx, hn::Load(d, kTwoToJ16Rel + 8).raw)};
  V<D> p;
  if constexpr (kDeg == 5) {
    static constexpr double kP1[] = {1.0, 0.5, 0.16666666664413282, 0.04166666666313178,
                                     0.008333472063937657, 0.001388907933373483};
    p = Horner(d, r, kP1);
  } else {
    static constexpr double kP1[] = {1.0,
                                     0.5,
                                     0.16666666666666674,
                                     0.04166666666350703,
                                     0.0083333333324474,
                                     0.0013889070442585725,
                                     0.00019841550532560657};
    p = Horner(d, r, kP1);
  }
  e.rp = hn::MulAdd(r, p, c);
  return e;
}

// MulSigmoidOfAbsX64's steps (described above: the same masks, `keep`, error terms)
// on ComputeExpJ16<5>(-|x|): n = T[j] (1 + rp) in [0.97, 2) rounded once,
// e = n 2^q (q = k: e <= 1 as before, so 1 + e in [1, 2] and r >= 1/2),
// r = 1 / (1 + e) by one division, and n_lo = T[j] rp - (n - T[j]) in one
// FMA (n - T[j] exact, Sterbenz): n's rounding and the table's, where
// MulSigmoidOfAbsX64 took four operations for n's and p1's. e^r's fit error
// (2^-56.2) reaches the result times e / (1 + e) or 1 / (1 + e), at most 0.1
// ULP. (Session 27: the reciprocal-and-Newton variant without n_lo, which
// logsigmoid's backward used until MulSigmoidNegX64TableRel below, is gone.)
// Begin (the exponential and the division) and Finish apart, as
// SigmoidOfAbsXBegin / MulSigmoidOfAbsXFinish (a pair hook's two halves).
template <class D>
struct SigmoidOfAbsX64 {
  ExpJ16<D> ex;
  V<D> n, e, rr;
};
template <class D>
HWY_INLINE SigmoidOfAbsX64<D> SigmoidOfAbsX64TableBegin(D d, V<D> x) {
  using Tr = FloatTraits<double>;
  SigmoidOfAbsX64<D> s;
  const V<D> xc{_mm512_range_pd(x.raw, hn::Set(d, Tr::kExpMinScalef).raw, 0x0E)};
  s.ex = ComputeExpJ16<5>(d, xc);
  s.n = hn::MulAdd(s.ex.t, s.ex.rp, s.ex.t);
  s.e = Scalef(d, s.n, s.ex.q);
  const V<D> one = hn::Set(d, 1.0);
  const V<D> den = hn::Add(one, s.e);
  s.rr = hn::Div(one, den);
  return s;
}
template <class D>
HWY_INLINE V<D> MulSigmoidOfAbsX64TableFinish(D d, const SigmoidOfAbsX64<D>& s,
                                              hn::Mask<D> scaled, V<D> g,
                                              const hn::Mask<D>* keep = nullptr) {
  const V<D> one = hn::Set(d, 1.0);
  const V<D> num = hn::IfThenElse(scaled, s.n, one);
  const V<D> t0 = hn::Mul(num, s.rr);
  V<D> res = hn::NegMulAdd(t0, s.e, hn::Sub(num, t0));
  const V<D> n_lo = hn::MulAdd(s.ex.t, s.ex.rp, hn::Sub(s.ex.t, s.n));
  const V<D> e_lo = Scalef(d, n_lo, s.ex.q);
  res = V<D>{_mm512_mask3_fmadd_pd(n_lo.raw, s.rr.raw, res.raw, scaled.raw)};
  res = V<D>{_mm512_mask3_fnmadd_pd(t0.raw, e_lo.raw, res.raw,
                                    static_cast<__mmask8>(~scaled.raw))};
  const V<D> cc = hn::Mul(g, hn::Mul(res, s.rr));
  V<D> t;
  if (keep != nullptr) {
    t = V<D>{_mm512_mask_fmadd_pd(g.raw, static_cast<__mmask8>(~keep->raw), t0.raw, cc.raw)};
  } else {
    t = hn::MulAdd(g, t0, cc);
  }
  return V<D>{_mm512_mask_scalef_pd(t.raw, scaled.raw, t.raw, s.ex.q.raw)};
}
template <class D>
HWY_INLINE V<D> MulSigmoidOfAbsX64Table(D d, V<D> x, hn::Mask<D> scaled, V<D> g,
                                        const hn::Mask<D>* keep = nullptr) {
  return MulSigmoidOfAbsX64TableFinish(d, SigmoidOfAbsX64TableBegin(d, x), scaled, g, keep);
}

// g (-expm1(y)) = g (1 - e^y) for y <= 0 (logsigmoid's f' from its output)
// on ComputeExpJ16<6>(max(min(y, 0), kExpMinScalef)): with s = 2^k T[j],
// 1 - e^y = -(s rp) - (s - 1), one FNMSUB (s - 1 exact for s >= 1/2, at
// most 2^-54 below it where the result is above 1/2): -(+0) - (+0) = -0 at
// y = 0, as -Expm1NonPositive() gave. Where kj != 0 the result is >= 1 -
// 2^(-1/32) = 0.0214, and e^y's absolute errors count up to 47 times
// relative to it there: r's rounding and rp's (each <= 2^-59, half an ULP
// of 0.0214 at most), the fit's (2^-65.2 with kDeg = 6; kDeg = 5's 2^-56.2
// would be 3.4 ULP there) and the last rounding: under 2 ULP (bound 3).
template <class D, class G>
HWY_INLINE V<D> MulNegExpm1Table(D d, V<D> y, G g) {
  using Tr = FloatTraits<double>;
  const V<D> yc = hn::Max(hn::Set(d, Tr::kExpMinScalef), hn::Min(y, hn::Zero(d)));
  const ExpJ16<D> ex = ComputeExpJ16<6>(d, yc);
  const V<D> s = Scalef(d, ex.t, ex.q);
  return Times(d, g, hn::NegMulSub(s, ex.rp, hn::Sub(s, hn::Set(d, 1.0))));
}

// kernels46 (session 27): g sigmoid(-x) in float64 on AVX-512 for
// logsigmoid's backward from x (bound 3 ULP), relative to the table value:
// with ComputeExpJ16<5>(-|x|), s = 2^k T[j] (exact) and e = e^-|x| = s (1 +
// rp), sigmoid(-x) is
//   x >= 0 (`scaled`): e / (1 + e) = 2^k T[j] (1 + w), w = (rp - e) / (1 + e),
//   x < 0:             1 / (1 + e) =          1 (1 + w), w = -e / (1 + e),
// so the result is b - b w' with b = g T[j] (x >= 0, then scaled by 2^k, so
// that g f' keeps its digits where f' alone is subnormal) or b = g, and w' =
// -w = num / (1 + e) from one VDIVPD, num = e - rp or e in one FMA: (s - 1)
// rp + s, with s - 1 by a masked subtraction (exact for s >= 1/2; below,
// its rounding times |rp| <= 0.022 is 2^-59 absolute). The quotient's
// rounding, 1 + e's and num's reach the result only through w' (|w'| <=
// 0.52), so they cost less than in MulSigmoidOfAbsX64Table's num / (1 + e)
// (where they needed the residual correction, five operations after the
// division); they are worst at x ~ 0, where 1 + w ~ 1/2 doubles them. The
// table's rounding is carried in rp (ComputeExpJ16; without it 2.81 ULP).
// Measured: certify --dtype=float64, 32 M samples, 2.29 ULP at x = 0.079
// (MulSigmoidOfAbsX64Table: 1.56), 2.50 over 32 M x in [0, 1] (1.21);
// bound 3. Four vector operations fewer per 8 doubles, 1.17-1.23x
// (docs/benchmarks.md, "Session 27: logsigmoid float64 backward").
// AVX-512 only; the driver restores NaN x; x = +-inf fall to the clamp at
// kExpMinScalef (s = 0: g 0 and g).
template <class D>
HWY_INLINE V<D> MulSigmoidNegX64TableRel(D d, V<D> x, V<D> g) {
  static_assert(sizeof(hn::TFromD<D>) == 8 && hn::MaxLanes(D()) == 8, "full float64 vectors");
  using Tr = FloatTraits<double>;
  const hn::Mask<D> scaled = hn::Ge(x, hn::Zero(d));
  const V<D> xc{_mm512_range_pd(x.raw, hn::Set(d, Tr::kExpMinScalef).raw, 0x0E)};
  const ExpJ16<D> ex = ComputeExpJ16<5>(d, xc);
  const V<D> one = hn::Set(d, 1.0);
  const V<D> s = Scalef(d, ex.t, ex.q);
  const V<D> den = hn::Add(one, hn::MulAdd(s, ex.rp, s));
  const V<D> s_m1{_mm512_mask_sub_pd(s.raw, scaled.raw, s.raw, one.raw)};
  const V<D> w = hn::Div(hn::MulAdd(s_m1, ex.rp, s), den);
  const V<D> b{_mm512_mask_mul_pd(g.raw, scaled.raw, g.raw, ex.t.raw)};
  const V<D> t = hn::NegMulAdd(b, w, b);
  return V<D>{_mm512_mask_scalef_pd(t.raw, scaled.raw, t.raw, ex.q.raw)};
}
#endif



}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();

#endif  // ACTIVATIONS_MATH_INL_H_
