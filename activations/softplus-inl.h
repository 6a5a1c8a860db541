// softplus(x) = log(1 + exp(beta * x)) / beta, linear above the threshold.
#ifndef ACTIVATIONS_SOFTPLUS_SPEC_H_
#define ACTIVATIONS_SOFTPLUS_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kSoftplusParams[] = {
    {.name = "beta",
     .default_value = 1.0,
     .valid_range = {.min = 0, .max = kInf},
     .description = "sharpness; f approaches relu as beta grows"},
    {.name = "threshold",
     .default_value = 20.0,
     .valid_range = {.min = 0, .max = kInf},
     .description = "f(x) = x where beta * x > threshold (PyTorch's cut-off)"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
// z = beta x as z + zl (fmal: exact), since exp(-|z|) turns an error of z
// into a relative error |z| times as large: rounded once, it cost the oracle
// 0.15 ULP of float64 at beta x = -686 (tools/mpfr_check, session 27).
// exp(-(z + zl)) = exp(-z) (1 - zl) while |zl| is tiny: for |z| < 2^14
// (beyond, exp(-|z|) is 0 or inf in long double and zl may exceed 1).
inline long double SoftplusExpCorrection(long double z, long double zl) {
  return std::fabs(z) < 0x1p14L ? zl : 0;
}
inline long double SoftplusReference(long double x, const double* p) {
  const long double z = p[0] * x, zl = std::fma(static_cast<long double>(p[0]), x, -z);
  if (z > p[1] || (z == p[1] && zl > 0)) return x;
  const long double c = SoftplusExpCorrection(z, zl);
  const long double e = std::exp(-std::fabs(z)) * (1 - (z < 0 ? -c : c));
  return (std::fmax(z, 0.0L) + ((z > 0 ? c : 0) + std::log1p(e))) / p[0];
}
inline long double SoftplusReferenceDerivative(long double x, const double* p) {
  const long double z = p[0] * x, zl = std::fma(static_cast<long double>(p[0]), x, -z);
  if (z > p[1] || (z == p[1] && zl > 0)) return 1;
  return 1 / (1 + std::exp(-z) * (1 - SoftplusExpCorrection(z, zl)));
}
inline constexpr ActivationSpec kSoftplusSpec{
    .name = "softplus",
    .formula = "f(x) = x if beta*x > threshold else log(1 + exp(beta*x)) / beta",
    .derivative_formula = "f'(x) = 1 if beta*x > threshold else sigmoid(beta*x)",
    .params = kSoftplusParams,
    .output_range = {.min = 0, .max = kInf},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = true, .zero_centered = false, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 1, .derivative = 1.5, .backward = 1.5},
    .ulp_float64 = {.forward = 3.5, .derivative = 1, .backward = 1},
    .notes = "As PyTorch, f(x) = x and f'(x) = 1 where beta*x > threshold (a jump "
             "of about exp(-threshold) there). Below it, computed as max(z, 0) + "
             "log1p(exp(-|z|)) with z = beta*x formed exactly: softplus(1000) = "
             "1000, softplus(-100) = 3.7e-44 in float32. float32 is native on "
             "FMA targets (AVX2, AVX-512; sums kept as hi + lo), through float64 "
             "on SSE4 and scalar. A beta beyond 2^+-512 (float64) is scaled by "
             "a power of two, exactly, so neither beta*x nor 1/beta overflows "
             "or underflows: softplus(1e308) = 1e308 at beta = 1e-300.",
    .reference = {&SoftplusReference, &SoftplusReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = beta, p[1] = threshold
struct SoftplusNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    const T beta = static_cast<T>(p[0]);
    const T bx = beta * x;
    return bx > static_cast<T>(p[1]) ? x : std::log1p(std::exp(bx)) / beta;
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    const T bx = static_cast<T>(p[0]) * x;
    return bx > static_cast<T>(p[1]) ? T(1) : T(1) / (T(1) + std::exp(-bx));
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SOFTPLUS_SPEC_H_

#if defined(ACTIVATIONS_SOFTPLUS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SOFTPLUS_INL_H_
#undef ACTIVATIONS_SOFTPLUS_INL_H_
#else
#define ACTIVATIONS_SOFTPLUS_INL_H_
#endif
#include <algorithm>
#include <cmath>

#include "activations/math-inl.h"
#include "activations/spec.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Softplus {
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  // A beta beyond 2^+-kBetaExp (KernelOf) takes the rare kernel, chosen once
  // per call by the driver (kernels.cc, RunInType).
  template <typename T>
  static constexpr int kBetaExp = sizeof(T) == 4 ? 64 : 512;
  template <typename T>
  static bool UseRareKernel(const ParamValues& p) {
    return p[0] > 0 && std::isfinite(p[0]) && std::abs(std::ilogb(p[0])) > kBetaExp<T>;
  }
  // beta = 1 (the default) takes FastKernel: z = x exactly and no division
  // (the same bits as the general kernel, where z_lo = 0 and the division is
  // exact, for less work), and float32 f' = sigmoid(x) from the exponential
  // alone (MulSigmoidFromParts).
  static bool UseFastKernel(const ParamValues& p) { return p[0] == 1.0; }
  template <class D, bool kScaled, bool kUnitBeta = false>
  struct KernelOf {
    using T = hn::TFromD<D>;
    // Beyond z = 64, log1p(e^-z) < 2^-92 z: f = x and f' = 1 are the
    // correctly rounded results in both types, whatever the threshold (a
    // threshold above it only decides what is already decided).
    static constexpr double kLinearAbove = 64;
    static constexpr int kFloatMaxScale = 200;
    // kScaled: beta outside [2^-kBetaExp, 2^kBetaExp] (below). Inside, beta
    // times a clamped x (kHuge) is still beyond every tail (2^-512 1e290 >
    // 1e135; float 2^-64 1e30 > 1e10), the Veltkamp split of beta x cannot
    // overflow on targets without FMA, and 1 / beta is a normal number.
    D d;
    // beta = beta_hi + beta_lo: in float32 the rounding of beta itself would
    // be amplified by exp in the tail; 1/beta for the corrected division.
    // Where beta is scaled, these hold b = beta 2^-e in [1, 2) instead.
    V<D> beta, beta_lo, inv_beta;
    // The linear branch is taken where x > x_linear, the largest T at or
    // below min(threshold, kLinearAbove) / beta (LinearAboveX): beta x >
    // threshold decided on x itself, not on z rounded to T (beta = 20,
    // threshold = 1: z = 20 x rounded to 1 at x = 0.05f = 0.0500000007 gave
    // f = 0.0657 instead of x; threshold = 1.37 rounded up to 1.37f missed x
    // = 1.37f) nor on a threshold and a z that T cannot hold (threshold =
    // 1e-300 is 0 in float32, and z = beta x underflows at beta = 1e-310).
    V<D> x_linear;
    // beta = b 2^e far from 1 (|e| > kBetaExp<T>): z = b (x 2^e), x scaled
    // first by two normal powers of two (x_scale1 x_scale2 = 2^e: x 2^e
    // loses bits only where it underflows, where z is far below an ULP of
    // log 2 in f), so that x is never clamped before the product (the clamp
    // at kHuge would keep z = beta x out of the tails: softplus(inf) was
    // 6.9e299 at beta = 1e-300) and 1 / beta, which overflows for a
    // subnormal beta, is never formed. f = (log(1 + e^z) / b) 2^-e, the
    // power of two (f_scale1 f_scale2, each exact) after the division; in
    // the lower tail f = e^z 2^-e / b = e^(z - e ln2) / b, an exponential of
    // its own (tail_shift = -e ln2 as hi + lo), where e^z alone underflows
    // but f does not (beta = 1e-300).
    V<D> x_scale1, x_scale2, f_scale1, f_scale2, tail_shift, tail_shift_lo;
    KernelOf(D d_in, const ParamValues& p) : d(d_in) {
      int e = 0;
      double b = p[0];
      if constexpr (kScaled) {
        e = std::ilogb(p[0]);
        b = std::ldexp(p[0], -e);  // exact, in [1, 2)
        // float32 lanes hold no 2^(e/2) for a float64 beta beyond 2^+-252
        // (1e-300 made x 2^e = inf 0 = NaN). Any |e| >= kFloatMaxScale gives
        // the same float32 results as the true e, so e is clamped there:
        // below 2^-200, |z| < 2^-70 for every finite x, so f' rounds to 1/2
        // and f = log(2) 2^-e / b overflows; above 2^200, z = 0 at x = 0
        // (f = 0, f' = 1/2: log(2) 2^-200 is below half the smallest
        // subnormal) and |z| > 2^51 elsewhere (f = x or 0, f' = 1 or 0).
        if constexpr (sizeof(T) == 4) e = std::clamp(e, -kFloatMaxScale, kFloatMaxScale);
      }
      beta = hn::Set(d, static_cast<T>(b));
      beta_lo = hn::Set(d, static_cast<T>(b - static_cast<T>(b)));
      inv_beta = hn::Set(d, static_cast<T>(1 / b));
      x_linear = hn::Set(d, LinearAboveX(p[0], std::min(p[1], kLinearAbove)));
      // 2^e and 2^-e as two factors each, every one representable (2^-e
      // reaches 2^1074 for a subnormal beta).
      constexpr int kMaxExp = sizeof(T) == 4 ? 127 : 1023;
      x_scale1 = hn::Set(d, static_cast<T>(std::ldexp(1.0, e / 2)));
      x_scale2 = hn::Set(d, static_cast<T>(std::ldexp(1.0, e - e / 2)));
      const int f1 = std::min(-e, kMaxExp);
      f_scale1 = hn::Set(d, static_cast<T>(std::ldexp(1.0, f1)));
      f_scale2 = hn::Set(d, static_cast<T>(std::ldexp(1.0, -e - f1)));
      // -e ln2 = a + b, a exact (ln2_hi's 9 / 32 significant bits times |e|
      // < 2^11), renormalized (Fast2Sum, |a| >= |b|) so that the lo part
      // stays below an ULP of the hi part: ComputeExpParts takes e^(w +
      // lo) = e^w (1 + lo), and b itself (2e-7 for e = -997) would leave
      // lo^2 / 2 = 2e-14 out.
      using Tr = FloatTraits<T>;
      const T a = static_cast<T>(-e) * Tr::kLn2Hi;
      const T c = static_cast<T>(-e) * Tr::kLn2Lo;
      const T shift = a + c;
      tail_shift = hn::Set(d, shift);
      tail_shift_lo = hn::Set(d, c - (shift - a));
    }

    // The largest T r <= t / beta (t, beta > 0, the quotient in long double,
    // to 2^-64), at most T's largest finite number: for every T x, x > r
    // exactly where beta x > t (to that precision), and only x = inf is above
    // a quotient beyond T's range.
    static T LinearAboveX(double beta, double t) {
      const long double q = static_cast<long double>(t) / beta;
      T r = static_cast<T>(q);
      if (static_cast<long double>(r) > q) {
        r = std::nextafter(r, -std::numeric_limits<T>::infinity());
      }
      return std::min(r, std::numeric_limits<T>::max());
    }

    // z = beta x = zh + zl exactly; f' = sigmoid(z).
    struct State {
      V<D> z, zl;
      Logistic<D> s;
      hn::Mask<D> linear;  // beta x > threshold, or x NaN: f = x, f' = 1
    };
    // The linear lanes, NaN x among them (not x <= x_linear: one unordered
    // compare), so that Value gives x's own bits there (kValueKeepsNaN: the
    // forward skips the driver's NaN restore, session 31). The other modes'
    // NaN lanes (f' = 1, g f' = g) are restored by the driver as before.
    // On AVX-512 one VCMPP[SD] with the predicate NLE_UQ: GCC 12 kept
    // Not(Le) as a compare and a KNOT, one operation more in the
    // derivative's loop of 44 (float32).
    HWY_INLINE hn::Mask<D> LinearOrNaN(V<D> x) const {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      if constexpr (hn::MaxLanes(D()) * sizeof(T) == 64) {
        if constexpr (sizeof(T) == 4) {
          return hn::Mask<D>{_mm512_cmp_ps_mask(x.raw, x_linear.raw, _CMP_NLE_UQ)};
        } else {
          return hn::Mask<D>{_mm512_cmp_pd_mask(x.raw, x_linear.raw, _CMP_NLE_UQ)};
        }
      }
#endif
      return hn::Not(hn::Le(x, x_linear));
    }
    static constexpr bool kValueKeepsNaN = true;
    HWY_INLINE State Prepare(V<D> x) const {
      if constexpr (kUnitBeta) {
        const V<D> xc = ClampHuge(d, x);
        return {xc, hn::Zero(d), Logistic<D>(d, xc), LinearOrNaN(x)};
      }
      V<D> xs = x;
      if constexpr (kScaled) xs = hn::Mul(hn::Mul(x, x_scale1), x_scale2);
      const V<D> xc = ClampHuge(d, xs);
      V<D> zl;
      const V<D> z = TwoProductClamped(d, beta, xc, &zl);
      zl = hn::MulAdd(beta_lo, xc, zl);
      return {z, zl, Logistic<D>(d, z, zl), LinearOrNaN(x)};
    }
    // log(1 + e^z) = max(z, 0) + log1p(e^-|z|) as hi + *lo (Fast2Sum of
    // the larger and the smaller term), before the lower tail and the
    // division by beta.
    HWY_INLINE V<D> LogOnePlusExp(const State& s, V<D>* lo) const {
      V<D> l_lo;
      const V<D> l = Log1pUnitInterval(d, s.s.e, &l_lo);
      // log1p(e + e_lo) = log1p(e) + e_lo / (1 + e): the exponential's own
      // rounding would otherwise dominate where e is small.
      l_lo = hn::MulAdd(s.s.parts.Scale(s.s.parts.NLo(d)), s.s.r, l_lo);
      const V<D> zp = hn::IfThenZeroElse(s.s.negative, s.z);
      const V<D> sp = Fast2Sum<D>(hn::Max(zp, l), hn::Min(zp, l), lo);
      *lo = hn::Add(*lo, hn::Add(l_lo, hn::IfThenZeroElse(s.s.negative, s.zl)));
      return sp;
    }
    // log(1 + e^z) / beta with one correction step of the division (exact
    // for beta = 1). Deep in the lower tail (e < 2^-24), log1p(e) = e (1 -
    // e/2): from (n + n_lo) 2^q, scaled after the division, since e itself
    // may be subnormal where e / beta is not.
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      if constexpr (kScaled) return ValueScaled(s, x);
      V<D> sp_lo;
      V<D> sp = LogOnePlusExp(s, &sp_lo);
      const auto tail = hn::Lt(s.z, hn::Set(d, static_cast<T>(-20)));
      const V<D> n_lo = s.s.parts.NLo(d);
      sp = hn::IfThenElse(tail, s.s.n, sp);
      sp_lo = hn::IfThenElse(tail, hn::NegMulAdd(hn::Mul(s.s.n, s.s.e), hn::Set(d, 0.5), n_lo),
                             sp_lo);
      V<D> y;
      if constexpr (kUnitBeta) {
        y = hn::Add(sp, sp_lo);
      } else {
        y = DivideCorrected(d, sp, sp_lo, beta, beta_lo, inv_beta);
      }
      return hn::IfThenElse(s.linear, x, s.s.parts.ScaleWhere(tail, y));
    }
    // f for a scaled beta = b 2^e (see tail_shift): the tail's n 2^q from
    // e^(z - e ln2), the rest times 2^-e after the division by b.
    HWY_INLINE V<D> ValueScaled(const State& s, V<D> x) const {
      V<D> sp_lo;
      V<D> sp = LogOnePlusExp(s, &sp_lo);
      const auto tail = hn::Lt(s.z, hn::Set(d, static_cast<T>(-20)));
      V<D> w_lo;
      const V<D> w = TwoSum(d, s.z, tail_shift, &w_lo);
      w_lo = hn::Add(w_lo, hn::Add(s.zl, tail_shift_lo));
      const ExpParts<D> parts = ComputeExpParts(d, w, w_lo);
      const V<D> n = parts.N(d);
      sp = hn::IfThenElse(tail, n, sp);
      sp_lo = hn::IfThenElse(tail, hn::NegMulAdd(hn::Mul(n, s.s.e), hn::Set(d, 0.5), parts.NLo(d)),
                             sp_lo);
      const V<D> one = hn::Set(d, 1);
      V<D> y = DivideCorrected(d, sp, sp_lo, beta, beta_lo, inv_beta);
      y = hn::Mul(hn::Mul(y, hn::IfThenElse(tail, one, f_scale1)),
                  hn::IfThenElse(tail, one, f_scale2));
      return hn::IfThenElse(s.linear, x, parts.ScaleWhere(tail, y));
    }
    // g sigmoid(z), g multiplied in before the final scaling. Where z carries
    // a z_lo (beta != 1) or in float64 (bound 1 ULP), MulSigmoid<true>: the
    // exponential's rounding carried. At beta = 1 in float32 (FMA targets;
    // the others take float64), MulSigmoidFromParts on the same parts of
    // -|x|: n's rounding alone, 1.065 ULP (certify --stride=17; bound 1.5),
    // a quarter fewer ops.
    template <class G>
    HWY_INLINE V<D> SigmoidTimes(const State& s, G g) const {
      if constexpr (kUnitBeta && sizeof(T) == 4) {
        return MulSigmoidFromParts(d, s.s.parts, hn::Not(s.s.negative), g);
      } else {
        return s.s.template MulSigmoid<true>(d, g);
      }
    }
    HWY_INLINE V<D> Slope(const State& s, V<D>, Unit) const {
      return hn::IfThenElse(s.linear, hn::Set(d, 1), SigmoidTimes(s, Unit{}));
    }
    // g f' at beta = 1 in float32 (FMA targets) from its own exponential
    // (ComputeExpNNonPositive, MulSigmoidFromN: two FMA-pipe operations
    // fewer, n's rounding carried): the backward uses nothing else of the
    // state, so the state's exponential is not computed there. f' alone
    // (derivative, forward_and_derivative, whose f shares the state's
    // exponential) keeps MulSigmoidFromParts on the state's parts.
    // From x itself, not the state's z (= x clamped at +-kHuge): -|x| is
    // clamped at ComputeExpNNonPositive's kMin anyway, and x < 0 exactly
    // where z < 0, so the bits are the same, and the backward's loop loses
    // the clamp (a Max, a Min and the -kHuge the compiler formed with an XOR
    // in every iteration) and a mask inversion (session 23).
    // On AVX-512, MulSigmoidOfAbsX: the same bits in five operations fewer
    // (the clamp and |x| in one VRANGEPS, no Max after VRCP14PS, the linear
    // lanes' g from the last FMA's merge mask; session 25).
    HWY_INLINE V<D> Slope(const State& s, V<D> x, V<D> g) const {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      if constexpr (kUnitBeta && sizeof(T) == 4) {
        return MulSigmoidOfAbsX(d, x, hn::Lt(x, hn::Zero(d)), g, &s.linear);
      }
      // float64 at beta = 1: MulSigmoidOfAbsX64Table from x itself
      // (session 26: e^-|x| from the 2^(j/16) table and a degree-5
      // polynomial, n's and the table's roundings carried in one FMA, one
      // VDIVPD: sampled 0.63 ULP, bound 1, five instructions fewer per 8
      // doubles than session 25's MulSigmoidOfAbsX64<true>, Horner to 1/13!,
      // 0.76), where the state's MulSigmoid<true> carried every rounding of
      // the exponential as hi + lo pairs (0.60 ULP).
      if constexpr (kUnitBeta && sizeof(T) == 8 && hn::MaxLanes(D()) == 8) {
        return MulSigmoidOfAbsX64Table(d, x, hn::Lt(x, hn::Zero(d)), g, &s.linear);
      }
#endif
      if constexpr (kUnitBeta && sizeof(T) == 4) {
        return hn::IfThenElse(
            s.linear, g,
            MulSigmoidFromN(d, ComputeExpNNonPositive(d, hn::Neg(hn::Abs(x))),
                            hn::Ge(x, hn::Zero(d)), g));
      } else {
        return hn::IfThenElse(s.linear, g, SigmoidTimes(s, g));
      }
    }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    // Two vectors a loop body at beta = 1 on AVX-512 (session 31): the
    // forward (kernels.cc, LoopForwardPairs) and the backward from x
    // (LoopBackwardPairs), each vector's bits as Value / Slope on its own.
    // Both exponentials first (ComputedBefore), then both results: the
    // loops are bound by their dependency chains (the exponential, the
    // reciprocal or division, the logarithm), not by their operations.
    static constexpr bool kPairs =
        kUnitBeta && !kScaled && (sizeof(T) == 4 || hn::MaxLanes(D()) == 8);
    HWY_INLINE void ValuePair(V<D> x0, V<D> x1, V<D>* y0, V<D>* y1) const
      requires kPairs
    {
      State s0 = Prepare(x0);
      State s1 = Prepare(x1);
      ComputedBefore(s0.s.r, s1.s.r);
      *y0 = Value(s0, x0);
      *y1 = Value(s1, x1);
    }
    HWY_INLINE void SlopePair(V<D> x0, V<D> x1, V<D> g0, V<D> g1, V<D>* o0, V<D>* o1) const
      requires kPairs
    {
      const hn::Mask<D> linear0 = LinearOrNaN(x0), linear1 = LinearOrNaN(x1);
      const hn::Mask<D> neg0 = hn::Lt(x0, hn::Zero(d)), neg1 = hn::Lt(x1, hn::Zero(d));
      if constexpr (sizeof(T) == 4) {
        SigmoidOfAbsX<D> s0 = SigmoidOfAbsXBegin(d, x0);
        SigmoidOfAbsX<D> s1 = SigmoidOfAbsXBegin(d, x1);
        ComputedBefore(s0.rr, s1.rr);
        *o0 = MulSigmoidOfAbsXFinish(d, s0, neg0, g0, &linear0);
        *o1 = MulSigmoidOfAbsXFinish(d, s1, neg1, g1, &linear1);
      } else {
        SigmoidOfAbsX64<D> s0 = SigmoidOfAbsX64TableBegin(d, x0);
        SigmoidOfAbsX64<D> s1 = SigmoidOfAbsX64TableBegin(d, x1);
        ComputedBefore(s0.rr, s1.rr);
        *o0 = MulSigmoidOfAbsX64TableFinish(d, s0, neg0, g0, &linear0);
        *o1 = MulSigmoidOfAbsX64TableFinish(d, s1, neg1, g1, &linear1);
      }
    }
#endif
  };
  template <class D>
  using Kernel = KernelOf<D, false>;
  template <class D>
  using FastKernel = KernelOf<D, false, true>;
  template <class D>
  using RareKernel = KernelOf<D, true>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SOFTPLUS_INL_H_
