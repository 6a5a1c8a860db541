// logsigmoid(x) = log(sigmoid(x)) = -softplus(-x).
#ifndef ACTIVATIONS_LOGSIGMOID_SPEC_H_
#define ACTIVATIONS_LOGSIGMOID_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double LogsigmoidReference(long double x, const double*) {
  return std::fmin(x, 0.0L) - std::log1p(std::exp(-std::fabs(x)));
}
inline long double LogsigmoidReferenceDerivative(long double x, const double*) {
  const long double e = std::exp(-std::fabs(x));
  return x >= 0 ? e / (1 + e) : 1 / (1 + e);
}
inline long double LogsigmoidReferenceFromOutput(long double y, const double*) {
  return -std::expm1(y);
}
inline constexpr ActivationSpec kLogsigmoidSpec{
    .name = "logsigmoid",
    .formula = "f(x) = log(1 / (1 + exp(-x))) = min(x, 0) - log(1 + exp(-|x|))",
    .derivative_formula = "f'(x) = 1 / (1 + exp(x)) = 1 - exp(f(x))",
    .params = {},
    .output_range = {.min = -kInf, .max = 0},
    .properties = {.bounded_below = false, .bounded_above = true, .smooth = true,
                   .monotonic = true, .zero_centered = false, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .derivative = 1.5, .backward = 1.5, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 3, .derivative = 3, .backward = 3, .derivative_from_output = 3,
                    .backward_from_output = 3},
    .notes = "Computed as min(x, 0) - log1p(exp(-|x|)): no overflow, and the two "
             "terms never cancel (same sign). logsigmoid(100) = -3.7e-44 in "
             "float32, logsigmoid(-100) = -100. From the output, f' = -expm1(y). "
             "float32 f and f' from y are computed in float64 and rounded once; "
             "float32 f' from x natively, within 1.5 ULP (1.10 measured): in "
             "float64 it ran at half the speed of PyTorch's log_sigmoid_backward.",
    .reference = {&LogsigmoidReference, &LogsigmoidReferenceDerivative,
                  &LogsigmoidReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct LogsigmoidNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return std::log(T(1) / (T(1) + std::exp(-x)));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    return T(1) / (T(1) + std::exp(x));
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_LOGSIGMOID_SPEC_H_

#if defined(ACTIVATIONS_LOGSIGMOID_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_LOGSIGMOID_INL_H_
#undef ACTIVATIONS_LOGSIGMOID_INL_H_
#else
#define ACTIVATIONS_LOGSIGMOID_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Logsigmoid {
  // float32 f, and f' from y, in float64, rounded once: natively Highway's
  // log1p alone is 2 ULP in float32, and -expm1(y) times g 1.6 ULP. On FMA
  // targets inside the float32 loop (FloatKernel; f' from x natively there),
  // elsewhere through the driver's float64 path (Generic).
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  static constexpr bool kFloatFromOutputViaDouble = kFloatViaDouble;

  template <class D>
  struct Generic {
    D d;
    Generic(D d_in, const ParamValues&) : d(d_in) {}

    // The logistic function's pieces at z = -x: f' = sigmoid(-x). (z = -x
    // exactly: no z_lo, whose zero session 20 still added into pm1.)
    using State = Logistic<D>;
    HWY_INLINE State Prepare(V<D> x) const { return Logistic<D>(d, hn::Neg(x)); }
    // min(x, 0) - log1p(e), e = exp(-|x|) in (0, 1]; log1p of a subnormal e
    // returns e itself, so logsigmoid(740) = -exp(-740) keeps its digits.
    // (Highway's Log1p, <= 2 ULP: float32 is computed in float64.)
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      return hn::Sub(hn::Min(x, hn::Zero(d)), hn::Log1p(d, s.e));
    }
    // g sigmoid(-x), g applied before the final scaling by 2^q, so g f'
    // keeps its digits where f' alone is subnormal. FMA targets (float64
    // here): MulSigmoidFromParts on the state's exponential, as float32 does
    // (n's rounding carried, one corrected division): float64 f' 0.995 ULP,
    // g f' 1.034 (certify --dtype=float64, bound 3; the logistic's
    // MulSigmoid gave 1.423 / 1.638: it carries no rounding of n), with
    // fewer operations than MulSigmoid, which forms g num and 1 + e exactly
    // as hi + lo. Without a native FMA (SSE4, scalar), whose MulAdd rounds
    // twice, the latter.
    // The float64 backward on AVX-512 (G = a vector): MulSigmoidNegX64TableRel
    // from x itself, the state's exponential unused (session 27: e^-|x| from
    // the 2^(j/16) table and a degree-5 polynomial, g sigmoid(-x) = b (1 -
    // w') relative to the table value with one VDIVPD for w' and no
    // residual correction; certify 4 M samples 2.11 ULP, bound 3; 1.18-1.21x
    // session 26's MulSigmoidOfAbsX64Table, num / (1 + e) corrected by its
    // residual, 1.53 ULP; session 25's MulSigmoidOfAbsX64, Horner to 1/13!
    // and VRCP14PD + Newton, was 1.56 and slower again).
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D> x, G g) const {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      if constexpr (!kIsUnit<G> && sizeof(hn::TFromD<D>) == 8 && hn::MaxLanes(D()) == 8) {
        return MulSigmoidNegX64TableRel(d, x, g);
      }
#endif
      (void)x;
      if constexpr (HWY_NATIVE_FMA) {
        return MulSigmoidFromParts(d, s.parts, hn::Not(s.negative), g);
      } else if constexpr (kIsUnit<G>) {
        return s.MulSigmoid(d, hn::Set(d, 1));
      } else {
        return s.MulSigmoid(d, g);
      }
    }
    // 1 - e^y = -expm1(y) for y <= 0, without cancellation near y = 0. On
    // AVX-512 in float64, MulNegExpm1Table (session 26: the 2^(j/16) table,
    // a degree-6 polynomial, one FNMSUB; sampled 1.51 ULP for f', 2.19 for
    // g f', bound 3; ComputeExpParts' degree-13 polynomial gave 1.11 / 2.06
    // with five instructions more per 8 doubles).
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      if constexpr (sizeof(hn::TFromD<D>) == 8 && hn::MaxLanes(D()) == 8) {
        return MulNegExpm1Table(d, y, g);
      }
#endif
      return Times(d, g,
                   hn::Neg(ComputeExpParts(d, hn::Min(y, hn::Zero(d))).Expm1NonPositive(d)));
    }
  };

  // f and f' from y in float64 lanes to float32's needs (math-inl.h), each
  // rounded once to float32: e = exp(-|x|) (clamped at e^-200, below
  // anything float32 holds), f = min(x, 0) - log1p(e) (the terms have the
  // same sign), f' from y = -expm1(y). f' from x natively in float32 (see
  // Slope).
  template <class DF>
  struct FloatKernel {
    using DW = WideHalf<DF>;
    DF d;
    DW dw;
    FloatKernel(DF d_in, const ParamValues&) : d(d_in) {}

    struct State {
      Halves<DF> x;
      V<DW> e_lo, e_hi;
    };
    HWY_INLINE State Prepare(V<DF> x) const {
      const Halves<DF> h = PromoteHalves(d, x);
      return {h, ExpNonPositiveForFloat(dw, hn::Neg(hn::Abs(h.lo))).Exp(),
              ExpNonPositiveForFloat(dw, hn::Neg(hn::Abs(h.hi))).Exp()};
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF>) const {
      auto f = [&](V<DW> x, V<DW> e) HWY_ATTR {
        return hn::Sub(hn::Min(x, hn::Zero(dw)), Log1pForFloat(dw, e));
      };
      return DemoteHalves(d, f(s.x.lo, s.e_lo), f(s.x.hi, s.e_hi));
    }
    // g sigmoid(-x) = g num / (1 + e) in float32 (MulSigmoidFromN, shared
    // with softplus' g f'), e = exp(-|x|) = n 2^q and
    // num = 1 (x < 0) or n (x >= 0, then scaled by 2^q after the division,
    // so that g f' stays accurate where f' alone is subnormal); one
    // corrected division (VRCP14PS on AVX-512), g applied to the quotient
    // and its correction. n from ComputeExpNNonPositive (session 22: n by
    // Horner, two FMA-pipe operations fewer than ComputeExpParts' pm1 + 1,
    // its rounding carried); the reduced argument's rounding is what is
    // left. The float64 lanes (0.5 ULP) ran at 0.55 times PyTorch's
    // log_sigmoid_backward, which reads a buffer its forward stored instead
    // of computing exp (bench/torch_matrix.py times exactly that call).
    // On AVX-512 the backward (G = a vector) takes MulSigmoidOfAbsX: the
    // same bits in four operations fewer (session 25).
    template <class G>
    HWY_INLINE V<DF> Slope(const State&, V<DF> x, G g) const {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      if constexpr (!kIsUnit<G>) {
        return MulSigmoidOfAbsX(d, x, hn::Ge(x, hn::Zero(d)), g);
      }
#endif
      return MulSigmoidFromN(d, ComputeExpNNonPositive(d, hn::Neg(hn::Abs(x))),
                             hn::Lt(x, hn::Zero(d)), g);
    }
    // 1 - e^y = -expm1(y) for y <= 0: with e^y = s (1 + pm1), s = 2^k,
    // -(s pm1) - (s - 1) in one FNMSUB. That is -(s pm1 + (s - 1)) (Expm1)
    // rounded once, and round-to-nearest is symmetric, so these are the
    // bits of -Expm1() without the two sign flips (session 24: 66 -> 64
    // instructions per 16 floats on AVX3; stride-257 fingerprints equal to
    // main 3199566's). Even at y >= 0: -(+0) - (+0) is -0, as -Expm1() was
    // ((1 - s) - s pm1 in an FNMADD gave +0 there, and g f' changed sign);
    // no other zero: s pm1 = -(s - 1) would need pm1 = 2^-k - 1 >= 1.
    //
    // Still in float64 halves, and rounded once: the rows are certified
    // correctly rounded (0.501 ULP) over every float32 input. A native
    // float32 kernel (session 23's, 2.45x faster) is 0.95 ULP; a correctly
    // rounded float32 one needs -expm1(y) to ~2^-34 before its rounding (a
    // Ziv test against main's bits must allow main's own 2^-36.5 too) and
    // then costs about as many operations as these float64 halves
    // (docs/benchmarks.md, "Session 24: logsigmoid's backward from y").
    template <class G>
    HWY_INLINE V<DF> SlopeFromOutput(V<DF> y, G g) const {
      const Halves<DF> h = PromoteHalves(d, hn::Min(y, hn::Zero(d)));
      const auto neg_expm1 = [this](V<DW> x) HWY_ATTR {
        const ExpForFloat<DW> e = ExpNonPositiveForFloat(dw, x);
        return hn::NegMulSub(e.scale, e.pm1, hn::Sub(e.scale, hn::Set(dw, 1.0)));
      };
      return DemoteTimes(d, g, neg_expm1(h.lo), neg_expm1(h.hi));
    }
  };

  template <class D>
  using Kernel = KernelInWideLanes<D, FloatKernel, Generic>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_LOGSIGMOID_INL_H_
