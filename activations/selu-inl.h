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
  return y > 0 ? kSeluScale : y + kSeluScale * kSeluAlpha;
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
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 3, .derivative = 3, .backward = 3, .derivative_from_output = 3,
                    .backward_from_output = 3},
    .notes = "Not differentiable at 0 (f' jumps from scale * alpha to scale): "
             "f'(0) = scale * alpha, as PyTorch. The constants are applied as "
             "float64 pairs hi + lo, so their rounding does not show, also in "
             "f' = y + scale * alpha from the output near y = -scale * alpha. "
             "float32 is computed in float64 lanes and rounded once.",
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
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Selu {
  // float32 rounded once from float64: natively the rounded constants and
  // expm1 add up to 3 ULP; from y too (natively y + scale alpha and the
  // product with g reach 1.6 ULP). On FMA targets inside the float32 loop
  // (FloatKernel: float64 lanes to float32's needs, as celu), elsewhere
  // through the driver's float64 path (Generic).
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  static constexpr bool kFloatFromOutputViaDouble = kFloatViaDouble;

  template <class D>
  struct Generic {
    using T = hn::TFromD<D>;
    // c = hi + lo with hi = c rounded to T: c * v = hi * v + lo * v, where
    // the second product is a correction far below the first's rounding.
    static constexpr T Hi(long double c) { return static_cast<T>(c); }
    static constexpr T Lo(long double c) { return static_cast<T>(c - Hi(c)); }

    D d;
    V<D> scale_hi, scale_lo, sa_hi, sa_lo;
    Generic(D d_in, const ParamValues&)
        : d(d_in),
          scale_hi(hn::Set(d_in, Hi(kSeluScale))),
          scale_lo(hn::Set(d_in, Lo(kSeluScale))),
          sa_hi(hn::Set(d_in, Hi(kSeluScale * kSeluAlpha))),
          sa_lo(hn::Set(d_in, Lo(kSeluScale * kSeluAlpha))) {}

    // The correction takes v clamped to a finite value, so that v = +inf
    // gives inf + finite = inf rather than inf - inf.
    HWY_INLINE V<D> Scaled(V<D> hi, V<D> lo, V<D> v) const {
      return hn::MulAdd(lo, ClampHuge(d, v), hn::Mul(hi, v));
    }

    struct State {
      hn::Mask<D> pos;
      ExpParts<D> e;  // of min(x, 0)
    };
    HWY_INLINE State Prepare(V<D> x) const {
      return {hn::Gt(x, hn::Zero(d)), ComputeExpParts(d, hn::Min(x, hn::Zero(d)))};
    }
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

  // float32 in float64 lanes (math-inl.h, as celu): e^x - 1 = 2^k pm1 +
  // (2^k - 1) with a 2^-36 polynomial, scale and scale alpha as float64
  // constants (2^-53), each result rounded once to float32. g f' as f' in
  // float64 times g, rounded once (DemoteTimes).
  template <class DF>
  struct FloatKernel {
    using DW = WideHalf<DF>;
    DF d;
    DW dw;
    V<DW> scale, sa;
    FloatKernel(DF d_in, const ParamValues&)
        : d(d_in),
          scale(hn::Set(dw, static_cast<double>(kSeluScale))),
          sa(hn::Set(dw, static_cast<double>(kSeluScale * kSeluAlpha))) {}

    struct State {
      Halves<DF> x;            // x promoted
      ExpForFloat<DW> lo, hi;  // of min(x, 0), per half
    };
    HWY_INLINE State Prepare(V<DF> x) const {
      const Halves<DF> h = PromoteHalves(d, x);
      return {h, ExpNonPositiveForFloatTable(dw, hn::Min(h.lo, hn::Zero(dw))),
              ExpNonPositiveForFloatTable(dw, hn::Min(h.hi, hn::Zero(dw)))};
    }
    // x > 0: scale x, else scale alpha expm1(x); rounded once.
    HWY_INLINE V<DW> ValueHalf(V<DW> x, const ExpForFloat<DW>& e) const {
      const hn::Mask<DW> pos = hn::Gt(x, hn::Zero(dw));
      return hn::Mul(hn::IfThenElse(pos, x, e.Expm1(dw)), hn::IfThenElse(pos, scale, sa));
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF>) const {
      return DemoteHalves(d, ValueHalf(s.x.lo, s.lo), ValueHalf(s.x.hi, s.hi));
    }
    // f' = scale for x > 0, scale alpha e^x below, in float64; times g and
    // rounded once.
    HWY_INLINE V<DW> SlopeHalf(V<DW> x, const ExpForFloat<DW>& e) const {
      return hn::IfThenElse(hn::Gt(x, hn::Zero(dw)), scale, e.MulExp(sa));
    }
    template <class G>
    HWY_INLINE V<DF> Slope(const State& s, V<DF>, G g) const {
      return DemoteTimes(d, g, SlopeHalf(s.x.lo, s.lo), SlopeHalf(s.x.hi, s.hi));
    }
    // y + scale alpha as (y + hi) + lo, hi + lo the constant as a float64
    // pair: y + hi is exact where the sum cancels (y near -scale alpha,
    // Sterbenz), so the constant's own rounding (2^-53, up to 2^-28 of the
    // cancelled sum) does not show.
    template <class G>
    HWY_INLINE V<DF> SlopeFromOutput(V<DF> y, G g) const {
      constexpr double kSaHi = static_cast<double>(kSeluScale * kSeluAlpha);
      constexpr double kSaLo = static_cast<double>(kSeluScale * kSeluAlpha - kSaHi);
      const Halves<DF> h = PromoteHalves(d, y);
      auto f = [&](V<DW> v) HWY_ATTR {
        return hn::IfThenElse(hn::Gt(v, hn::Zero(dw)), scale,
                              hn::Add(hn::Add(v, hn::Set(dw, kSaHi)), hn::Set(dw, kSaLo)));
      };
      return DemoteTimes(d, g, f(h.lo), f(h.hi));
    }
  };

  template <class D>
  using Kernel = KernelInWideLanes<D, FloatKernel, Generic>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SELU_INL_H_
