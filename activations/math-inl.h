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

// e^x split as (1 + pm1) * s1 * s2 with pm1 = e^r - 1 for |r| <= ln2/2 and
// s1 * s2 = 2^q. Keeping the pieces apart lets callers multiply small factors
// into (1 + pm1) *before* applying 2^q, so a product like x * e^x keeps full
// precision where e^x alone would be subnormal, and lets expm1 avoid the
// cancellation of (1 + pm1) - 1.
template <class D>
struct ExpParts {
  V<D> pm1;  // e^r - 1, |r| <= ln2 / 2
  V<D> s1;   // 2^floor(q/2)
  V<D> s2;   // 2^(q - floor(q/2))

  V<D> Scale(V<D> v) const { return hn::Mul(hn::Mul(v, s1), s2); }
  // e^x.
  V<D> Exp(D d) const { return Scale(hn::Add(pm1, hn::Set(d, 1))); }
  // f * e^x with a single rounding into the subnormal range.
  V<D> MulExp(D /*d*/, V<D> f) const {
    return Scale(hn::MulAdd(f, pm1, f));  // f * (1 + pm1)
  }
  // e^x - 1, for x <= 0 only (2^q would overflow for large x > 0): uses
  // 2^q (pm1 + 1) - 1 = 2^q pm1 + (2^q - 1), where both terms are exact or
  // nearly so for q <= 0, and for q = 0 it is pm1 itself, accurate near 0
  // where e^x - 1 would cancel. <= 2 ULP.
  V<D> Expm1NonPositive(D d) const {
    const V<D> s = hn::Mul(s1, s2);
    return hn::MulAdd(s, pm1, hn::Sub(s, hn::Set(d, 1)));
  }
};

// Computes ExpParts of x. NaN in gives NaN pm1; +-inf and huge |x| are clamped
// so the result is +inf or 0 (the driver restores NaN lanes from the input).
// Error of Exp(): <= 1 ULP where the result is normal (Taylor series of
// degree 7 / 13 on |r| <= ln2/2: truncation below 0.1 ULP).
template <class D>
HWY_INLINE ExpParts<D> ComputeExpParts(D d, V<D> x) {
  using T = hn::TFromD<D>;
  using Tr = FloatTraits<T>;
  // Below kExpMin, e^x is 0 even when multiplied by a huge factor first
  // (MulExp): remember it, and zero the scale at the end.
  const auto underflow = hn::Lt(x, hn::Set(d, Tr::kExpMin));
  x = hn::Min(hn::Max(x, hn::Set(d, Tr::kExpMin)), hn::Set(d, Tr::kExpMax));
  // q = round(x / ln2); r = x - q ln2 in two steps (Cody-Waite).
  const V<D> q = hn::Round(hn::Mul(x, hn::Set(d, static_cast<T>(1.4426950408889634))));
  V<D> r = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Hi), x);
  r = hn::NegMulAdd(q, hn::Set(d, Tr::kLn2Lo), r);
  // e^r - 1 = r + r^2 (1/2! + r (1/3! + ...)): Taylor coefficients 1/k!.
  V<D> p;
  if constexpr (sizeof(T) == 4) {
    p = hn::Set(d, 1.0f / 5040);
    p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 720));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 120));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24));
    p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6));
    p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
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
  ExpParts<D> parts;
  parts.pm1 = hn::MulAdd(hn::Mul(p, r), r, r);
  const V<D> q1 = hn::Floor(hn::Mul(q, hn::Set(d, static_cast<T>(0.5))));
  parts.s1 = Pow2(d, q1);
  parts.s2 = hn::IfThenZeroElse(underflow, Pow2(d, hn::Sub(q, q1)));
  return parts;
}

// ExpParts of x + x_lo for a tiny correction x_lo (|x_lo| <= ulp(x)), as
// from TwoProduct: e^(x + lo) = e^x (1 + lo) to within lo^2. A non-finite
// x_lo (from a huge or infinite x, where it does not matter) is ignored.
template <class D>
HWY_INLINE ExpParts<D> ComputeExpParts(D d, V<D> x, V<D> x_lo) {
  using T = hn::TFromD<D>;
  ExpParts<D> parts = ComputeExpParts(d, x);
  // Only where e^x is finite and non-zero does the correction matter; beyond,
  // a huge x_lo (from a huge x) would turn 0 * (1 + x_lo) into NaN.
  const auto in_range = hn::And(hn::Ge(x, hn::Set(d, FloatTraits<T>::kExpMin)),
                                hn::Le(x, hn::Set(d, FloatTraits<T>::kExpMax)));
  x_lo = hn::IfThenElseZero(hn::And(in_range, hn::IsFinite(x_lo)), x_lo);
  // (1 + pm1)(1 + lo) - 1 = pm1 + lo (1 + pm1)
  parts.pm1 = hn::MulAdd(hn::Add(parts.pm1, hn::Set(d, 1)), x_lo, parts.pm1);
  return parts;
}

// e^x. <= 1 ULP (normal results); +inf above the overflow threshold.
template <class D>
HWY_INLINE V<D> Exp(D d, V<D> x) {
  return ComputeExpParts(d, x).Exp(d);
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

// log(1 + x) for x >= 0 (Highway's Log1p, <= 2 ULP).
template <class D>
HWY_INLINE V<D> Log1pNonNegative(D d, V<D> x) {
  return hn::Log1p(d, x);
}

// Clamps to [-kHuge, kHuge] (1e30 for float, 1e300 for double): far beyond
// where any activation's tail changes, yet finite, so that x * (something
// that underflowed to 0) is 0 and not inf * 0 = NaN at x = -inf.
template <class D>
HWY_INLINE V<D> ClampHuge(D d, V<D> x) {
  using T = hn::TFromD<D>;
  const V<D> k = hn::Set(d, static_cast<T>(sizeof(T) == 4 ? 1e30 : 1e300));
  return hn::Min(hn::Max(x, hn::Neg(k)), k);
}

// The logistic function's shared pieces at z = zh + zl: e = exp(-|z|) (as
// parts, so products with it can be formed before scaling), inv = 1/(1+e),
// and whether z < 0. sigmoid(z) = z >= 0 ? inv : e * inv and
// sigmoid'(z) = e * inv^2, without overflow or cancellation anywhere.
template <class D>
struct Logistic {
  ExpParts<D> parts;  // of -|z|
  V<D> e;             // exp(-|z|), as a plain value (for 1 + e)
  V<D> inv;           // 1 / (1 + e)
  hn::Mask<D> negative;

  Logistic(D d, V<D> zh, V<D> zl) {
    negative = hn::Lt(zh, hn::Zero(d));
    // -|z| = -|zh| - (zh < 0 ? -zl : zl)
    const V<D> neg_abs_lo = hn::IfThenElse(negative, zl, hn::Neg(zl));
    parts = ComputeExpParts(d, hn::Neg(hn::Abs(zh)), neg_abs_lo);
    e = parts.Exp(d);
    inv = hn::Div(hn::Set(d, 1), hn::Add(hn::Set(d, 1), e));
  }
  // sigmoid(z) times f, rounded once (f * e * inv for z < 0 is scaled last;
  // f clamped there so that f = -inf with e = 0 gives 0, not NaN).
  V<D> MulSigmoid(D d, V<D> f) const {
    return hn::IfThenElse(negative, parts.MulExp(d, hn::Mul(ClampHuge(d, f), inv)),
                          hn::Mul(f, inv));
  }
  // sigmoid'(z) = e / (1 + e)^2 times f. Dividing by (1 + e)^2 once, rather
  // than multiplying by inv twice, saves about one ULP.
  V<D> MulSigmoidDerivative(D d, V<D> f) const {
    const V<D> one_e = hn::Add(hn::Set(d, 1), e);
    return parts.MulExp(d, hn::Div(f, hn::Mul(one_e, one_e)));
  }
  // sigmoid(z) + s sigmoid'(z): the derivative of x sigmoid(z(x)) with
  // s = x z'(x) (swish: s = z). For z < 0 it is e inv (1 + s inv), scaled
  // last so it stays accurate where e alone is subnormal; for z >= 0,
  // inv + s e inv^2. The sum cancels only near a zero of the derivative.
  // Times g (Unit for g = 1), multiplied in before the final scaling so that
  // g f' stays accurate where f' alone would be subnormal.
  template <class G>
  V<D> SigmoidPlusSlope(D d, V<D> s, G g) const {
    const V<D> t = hn::Mul(s, inv);
    return hn::IfThenElse(negative,
                          parts.MulExp(d, Times(d, g, hn::MulAdd(inv, t, inv))),
                          Times(d, g, hn::MulAdd(t, hn::Mul(e, inv), inv)));
  }
};


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

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();

#endif  // ACTIVATIONS_MATH_INL_H_
