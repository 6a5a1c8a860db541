// sigmoid(x) = 1 / (1 + exp(-x)): the logistic function.
//
// Shape of every activation file: a spec (plain C++, included once) and the
// kernels (Highway generic code, included once per SIMD target).
#ifndef ACTIVATIONS_SIGMOID_SPEC_H_
#define ACTIVATIONS_SIGMOID_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double SigmoidReference(long double x, const double*) {
  const long double e = std::exp(-std::fabs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}
inline long double SigmoidReferenceDerivative(long double x, const double*) {
  const long double e = std::exp(-std::fabs(x));
  return e / ((1 + e) * (1 + e));
}
inline long double SigmoidReferenceFromOutput(long double y, const double*) {
  return y * (1 - y);
}
inline constexpr ActivationSpec kSigmoidSpec{
    .name = "sigmoid",
    .formula = "f(x) = 1 / (1 + exp(-x))",
    .derivative_formula = "f'(x) = f(x) (1 - f(x)) = exp(-|x|) / (1 + exp(-|x|))^2",
    .params = {},
    .output_range = {.min = 0, .max = 1},
    .properties = {.bounded_below = true, .bounded_above = true, .smooth = true,
                   .monotonic = true, .zero_centered = false, .saturating = true},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 2, .derivative = 2, .backward = 2, .derivative_from_output = 2,
                    .backward_from_output = 2.5},
    .ulp_float64 = {.forward = 2, .derivative = 2, .backward = 2, .derivative_from_output = 2,
                    .backward_from_output = 2.5},
    .notes = "Computed from e = exp(-|x|), so nothing overflows: sigmoid(-100) = "
             "3.7e-44 in float32 (subnormal), f(-inf) = 0, f(+inf) = 1, and f' "
             "keeps full relative precision in both tails.",
    .reference = {&SigmoidReference, &SigmoidReferenceDerivative, &SigmoidReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct SigmoidNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return T(1) / (T(1) + std::exp(-x));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    const T s = Value(x, p);
    return s * (T(1) - s);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SIGMOID_SPEC_H_

#if defined(ACTIVATIONS_SIGMOID_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SIGMOID_INL_H_
#undef ACTIVATIONS_SIGMOID_INL_H_
#else
#define ACTIVATIONS_SIGMOID_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Sigmoid {
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  // The kernel interface (kernels.cc builds every mode from it):
  //   State Prepare(V x)               what f and f' share (the exponential);
  //   V Value(const State&, V x)       f(x);
  //   V Slope(const State&, V x, G g)  g f'(x) for G = V, f'(x) for G = Unit;
  //   V SlopeFromOutput(V y, G g)      g f' from y = f(x), only where the spec
  //                                    says derivative_from_output.
  // forward_and_derivative calls Value and Slope on one State, so its f and
  // f' are forward's and derivative's bit for bit.
  // Generic: every type and target; Native32 (below): float32 on FMA
  // targets.
  template <class D>
  struct Generic {
    D d;
    Generic(D d_in, const ParamValues&) : d(d_in) {}

    using State = Logistic<D>;
    HWY_INLINE State Prepare(V<D> x) const { return Logistic<D>(d, x); }
    // (1 or n) / (1 + e), 2^q where z < 0: Logistic::MulSigmoid(d, Unit{})
    // with the same operations on the same values (the same bits), written
    // out so that the residual's -t0 b + a is one VFNMADD (Highway's Neg is
    // an XOR the compiler does not fold into the FMA) and the final scaling
    // one masked VSCALEFPS (ScaleWhereMasked): two instructions of 33 fewer
    // per vector on AVX-512.
    HWY_INLINE V<D> Value(const State& s, V<D>) const {
      const V<D> num = hn::IfThenElse(s.negative, s.n, hn::Set(d, 1));
      const V<D> t0 = hn::Mul(num, s.r);
      V<D> res;
      if constexpr (HWY_NATIVE_FMA) {
        res = hn::NegMulAdd(t0, s.den, num);
      } else {
        res = ExactFma(d, hn::Neg(t0), s.den, num);
      }
      res = hn::NegMulAdd(t0, s.den_lo, res);
      return ScaleWhereMasked(s.parts, s.negative, hn::MulAdd(res, s.r, t0));
    }
    // g e / (1 + e)^2 with g multiplied in exactly before the final scaling,
    // so g f' stays accurate where f' alone is subnormal.
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D>, G g) const {
      return s.MulSigmoidDerivative(d, g);
    }
    // y (1 - y) = y - y^2: one FMA rounds the exact value once (0.5 ULP);
    // without FMA, y (1 - y), where 1 - y is exact for y >= 1/2 (Sterbenz).
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      if constexpr (HWY_NATIVE_FMA) {
        return Times(d, g, hn::NegMulAdd(y, y, y));
      } else {
        return Times(d, g, hn::Mul(y, hn::Sub(hn::Set(d, 1), y)));
      }
    }
  };

  // float32 on FMA targets (AVX2, AVX-512; session 22): the exponential's n
  // by Horner (ComputeExpNNonPositive) and the quotient's residual without
  // den_lo: new bits in every row from x (f' too: its n changed); forward
  // 1.15x, f' 1.05x, g f' 1.06x main's (activation_benchmark A/B, AVX3, Zen
  // 4; docs/benchmarks.md, session 22). SlopeFromOutput is Generic's.
  template <class D>
  struct Native32 : Generic<D> {
    using Generic<D>::Generic;
    using Generic<D>::d;
    // e = exp(-|x|) = n 2^q from ComputeExpNNonPositive (session 22: n by
    // Horner, two FMA-pipe operations fewer than ComputeExpParts' pm1 + 1),
    // 1 + e = den + den_lo exactly (Fast2Sum, for f'), r ~ 1 / den held at
    // >= 1/2 (1 / (1 + e) >= 1/2), whether x < 0.
    struct State {
      ExpN<D> p;
      V<D> e, den, den_lo, r;
      hn::Mask<D> negative;
    };
    HWY_INLINE State Prepare(V<D> x) const {
      State s;
      s.negative = hn::Lt(x, hn::Zero(d));
      s.p = ComputeExpNNonPositive(d, hn::Neg(hn::Abs(x)));
      const V<D> one = hn::Set(d, 1);
      s.e = s.p.parts.Scale(s.p.n);
      s.den = Fast2Sum<D>(one, s.e, &s.den_lo);
      s.r = hn::Max(Reciprocal(d, s.den), hn::Set(d, 0.5f));
      return s;
    }
    // num / (1 + e), num = 1 (x >= 0) or n (x < 0, then 2^q after the
    // division): t0 = num r lies in [num / 2, 2 num] (r >= 1/2), so num - t0
    // is exact (Sterbenz) and the residual num - t0 (1 + e) = (num - t0) -
    // t0 e is one FMA, without den_lo (session 21's MulSigmoidFromParts);
    // t0 + res r rounded once, then one masked VSCALEFPS (ScaleWhereMasked).
    // n's rounding is not carried (MulSigmoidFromN carries it for 3
    // operations more, 0.97x main's speed): certify --stride=257 (AVX3)
    // 1.452 ULP, as main's kernel; bound 2.
    HWY_INLINE V<D> Value(const State& s, V<D>) const {
      const V<D> num = hn::IfThenElse(s.negative, s.p.n, hn::Set(d, 1));
      const V<D> t0 = hn::Mul(num, s.r);
      const V<D> res = hn::NegMulAdd(t0, s.e, hn::Sub(num, t0));
      return ScaleWhereMasked(s.p.parts, s.negative, hn::MulAdd(res, s.r, t0));
    }
    // g e / (1 + e)^2 = g n 2^q / (den + den_lo)^2: the square formed
    // exactly, g n exactly (TimesExact), one corrected division by r^2 ~
    // 1 / den^2, then 2^q, so g f' stays accurate where f' alone is
    // subnormal (Logistic::MulSigmoidDerivative's steps, on this state).
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D>, G g) const {
      V<D> sq_lo;
      const V<D> sq = TwoProduct(d, s.den, s.den, &sq_lo);
      sq_lo = hn::MulAdd(hn::Add(s.den, s.den), s.den_lo, sq_lo);
      V<D> lo;
      const V<D> hi = TimesExact(d, g, s.p.n, &lo);
      return s.p.parts.Scale(
          DivideCorrected<!kIsUnit<G>>(d, hi, lo, sq, sq_lo, hn::Mul(s.r, s.r)));
    }
  };

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // float32 on AVX-512 (session 30, kernels52): Native32's forward with the
  // same bits and fewer operations on the chain, for Zen 5, where the loop
  // of about 30 operations a vector is bound by its dependency chain
  // through the out-of-order window, not by its operation count:
  //  - r = VRCP14PS(1 + e) without Native32's Max(r, 1/2): 1 + e is in [1,
  //    2] and VRCP14PS is >= 1/2 on every float32 there (math-inl.h,
  //    MulSigmoidOfAbsX: checked for all 2^23 + 1 of them), so the Max never
  //    changed r (nor the slope's bits, which read r too);
  //  - NaN lanes of x get x's own bits from the residual's three operations
  //    (masked to the ordered lanes, merging x into the rest) instead of the
  //    driver's restore after the last one (kValueKeepsNaN): a VFPCLASSPS
  //    and a masked move for one VCMPPS;
  //  - ValuePair: two vectors a loop body (kernels.cc, LoopForwardPairs).
  template <class D>
  struct Native16 : Native32<D> {
    using Native32<D>::Native32;
    using Native32<D>::d;
    using State = typename Native32<D>::State;
    static constexpr bool kValueKeepsNaN = true;
    HWY_INLINE State Prepare(V<D> x) const {
      State s;
      s.negative = hn::Lt(x, hn::Zero(d));
      s.p = ComputeExpNNonPositive(d, hn::Neg(hn::Abs(x)));
      s.e = s.p.parts.Scale(s.p.n);
      s.den = Fast2Sum<D>(hn::Set(d, 1), s.e, &s.den_lo);
      s.r = hn::ApproximateReciprocal(s.den);
      return s;
    }
    // Native32::Value's operations (the same bits in every ordered lane);
    // x where x is NaN.
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      const __mmask16 ordered = _mm512_cmp_ps_mask(x.raw, x.raw, _CMP_ORD_Q);
      const V<D> num = hn::IfThenElse(s.negative, s.p.n, hn::Set(d, 1));
      const V<D> t0 = hn::Mul(num, s.r);
      const __m512 diff = _mm512_mask_sub_ps(x.raw, ordered, num.raw, t0.raw);
      const __m512 res = _mm512_mask3_fnmadd_ps(t0.raw, s.e.raw, diff, ordered);
      const V<D> t{_mm512_mask_fmadd_ps(res, ordered, s.r.raw, t0.raw)};
      return ScaleWhereMasked(s.p.parts, s.negative, t);
    }
    // Two vectors, each Value's bits: both exponentials first, then both
    // quotients.
    HWY_INLINE void ValuePair(V<D> x0, V<D> x1, V<D>* y0, V<D>* y1) const {
      State s0 = Prepare(x0);
      State s1 = Prepare(x1);
      ComputedBefore(s0.r, s1.r);
      *y0 = Value(s0, x0);
      *y1 = Value(s1, x1);
    }
    // The derivative's and forward_and_derivative's pair hook (kernels.cc,
    // LoopFromXPairs; session 31): both states before either result.
    HWY_INLINE void OrderPair(State& s0, State& s1) const { ComputedBefore(s0.r, s1.r); }
  };
  template <class D>
  using Native32Or16 =
      std::conditional_t<hn::MaxLanes(D()) == 16, Native16<D>, Native32<D>>;

  // float64 on AVX-512 (session 28, kernels49): Generic's steps (e =
  // exp(-|x|) = n 2^q, 1 + e = den + den_lo, num = 1 or n, num / (1 + e)
  // corrected once, 2^q last where x < 0) on the 2^(j/16) table exponential
  // of softplus' float64 backward (math-inl.h, ComputeExpJ16<5> and
  // MulSigmoidOfAbsX64Table's residual: n's and the table's roundings
  // carried as n_lo), where Generic's ComputeExpPartsNonPositive took a
  // degree-13 polynomial on |r| <= ln2/2 and one more division-free chain.
  // e <= 1 as before (q <= 0: every scaling is downward, so g f' is never
  // rounded as a subnormal before a scaling up), x clamped to
  // kExpMinScalef (-1500: e = 0, f = 0 or 1, f' = 0) by one VRANGEPD.
  // NaN x: the driver restores x. SlopeFromOutput is Generic's.
  template <class D>
  struct Native64 : Generic<D> {
    using Generic<D>::Generic;
    using Generic<D>::d;
    struct State {
      ExpJ16<D> ex;        // of -|x|, clamped
      V<D> n, n_lo;        // T[j] (1 + rp) rounded, and its rounding
      V<D> e, e_lo;        // n 2^q, n_lo 2^q
      V<D> den, den_lo;    // 1 + e + e_lo exactly (Fast2Sum: 1 >= e)
      V<D> r;              // 1 / den, one VDIVPD
      hn::Mask<D> negative;
    };
    HWY_INLINE State Prepare(V<D> x) const {
      using Tr = FloatTraits<double>;
      State s;
      s.negative = hn::Lt(x, hn::Zero(d));
      // -min(|x|, 1500) (VRANGEPD: the smaller magnitude, sign set).
      const V<D> xc{_mm512_range_pd(x.raw, hn::Set(d, Tr::kExpMinScalef).raw, 0x0E)};
      s.ex = ComputeExpJ16<5>(d, xc);
      s.n = hn::MulAdd(s.ex.t, s.ex.rp, s.ex.t);
      s.n_lo = hn::MulAdd(s.ex.t, s.ex.rp, hn::Sub(s.ex.t, s.n));
      s.e = Scalef(d, s.n, s.ex.q);
      s.e_lo = Scalef(d, s.n_lo, s.ex.q);
      const V<D> one = hn::Set(d, 1.0);
      s.den = hn::Add(one, s.e);
      s.den_lo = hn::Add(hn::Add(hn::Sub(one, s.den), s.e), s.e_lo);
      s.r = hn::Div(one, s.den);
      return s;
    }
    // num / (1 + e + e_lo), num = 1 (x >= 0) or n + n_lo (x < 0, then 2^q):
    // t0 = num r, the residual num - t0 (1 + e) (num - t0 exact: Sterbenz,
    // t0 in [num / 2, num]) with the lo parts as MulSigmoidOfAbsX64Table
    // (x < 0: + n_lo / (1 + e), d(n / (1 + n 2^q)) / dn = 1 / (1 + e)^2;
    // x >= 0: e_lo is not carried: it enters f times e / (1 + e)^2 <= 1/4,
    // 0.74 ULP sampled where carrying it gave 0.63 for 3 operations more,
    // 0.91x the forward's speed; session 28), t0 + res r, one masked
    // VSCALEFPD.
    HWY_INLINE V<D> Value(const State& s, V<D>) const {
      const V<D> one = hn::Set(d, 1.0);
      const V<D> num = hn::IfThenElse(s.negative, s.n, one);
      const V<D> t0 = hn::Mul(num, s.r);
      V<D> res = hn::NegMulAdd(t0, s.e, hn::Sub(num, t0));
      const __mmask8 neg = s.negative.raw;
      res = V<D>{_mm512_mask3_fmadd_pd(s.n_lo.raw, s.r.raw, res.raw, neg)};
      const V<D> t = hn::MulAdd(res, s.r, t0);
      return V<D>{_mm512_mask_scalef_pd(t.raw, neg, t.raw, s.ex.q.raw)};
    }
    // g e / (1 + e)^2 = g (n + n_lo) 2^q / (den + den_lo)^2: the square
    // exactly (TwoProduct) plus 2 den den_lo, g n exactly plus g n_lo, one
    // corrected division by r^2 ~ 1 / den^2 (DivideCorrected: its residual
    // step squares r^2's error), then 2^q (q <= 0).
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D>, G g) const {
      V<D> p_lo;
      const V<D> p = TwoProduct(d, s.den, s.den, &p_lo);
      p_lo = hn::MulAdd(hn::Add(s.den, s.den), s.den_lo, p_lo);
      V<D> lo;
      const V<D> hi = TimesExact(d, g, s.n, &lo);
      if constexpr (kIsUnit<G>) {
        lo = s.n_lo;
      } else {
        lo = hn::MulAdd(g, s.n_lo, lo);
      }
      return Scalef(d, DivideCorrected<true>(d, hi, lo, p, p_lo, hn::Mul(s.r, s.r)), s.ex.q);
    }
    // The derivative's and forward_and_derivative's pair hook (kernels.cc,
    // LoopFromXPairs; session 31): both states before either result.
    HWY_INLINE void OrderPair(State& s0, State& s1) const { ComputedBefore(s0.r, s1.r); }
  };
  template <class D>
  using Generic64 =
      std::conditional_t<sizeof(hn::TFromD<D>) == 8 && hn::MaxLanes(D()) == 8, Native64<D>,
                         Generic<D>>;
#else
  template <class D>
  using Generic64 = Generic<D>;
  template <class D>
  using Native32Or16 = Native32<D>;
#endif

  template <class D>
  using Kernel = KernelInWideLanes<D, Native32Or16, Generic64>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SIGMOID_INL_H_
