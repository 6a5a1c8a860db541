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
inline long double SoftplusReference(long double x, const double* p) {
  const long double z = p[0] * x;
  if (z > p[1]) return x;
  return (std::fmax(z, 0.0L) + std::log1p(std::exp(-std::fabs(z)))) / p[0];
}
inline long double SoftplusReferenceDerivative(long double x, const double* p) {
  const long double z = p[0] * x;
  if (z > p[1]) return 1;
  return 1 / (1 + std::exp(-z));
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
    .ulp_float32 = {.forward = 1, .derivative = 1, .backward = 1},
    .ulp_float64 = {.forward = 3.5, .derivative = 1, .backward = 1},
    .notes = "As PyTorch, f(x) = x and f'(x) = 1 where beta*x > threshold (a jump "
             "of about exp(-threshold) there). Below it, computed as max(z, 0) + "
             "log1p(exp(-|z|)) with z = beta*x formed exactly: softplus(1000) = "
             "1000, softplus(-100) = 3.7e-44 in float32. float32 is native on "
             "FMA targets (AVX2, AVX-512; sums kept as hi + lo), through float64 "
             "on SSE4 and scalar.",
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
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Softplus {
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  template <class D>
  struct Kernel {
    using T = hn::TFromD<D>;
    D d;
    // beta = beta_hi + beta_lo: in float32 the rounding of beta itself would
    // be amplified by exp in the tail; 1/beta for the corrected division.
    V<D> beta, beta_lo, inv_beta, threshold;
    // beta = 1 (the default): z = x exactly and no division, the same bits
    // as the general path (where z_lo = 0 and the division is exact) for
    // less work.
    bool unit_beta;
    Kernel(D d_in, const ParamValues& p)
        : d(d_in),
          beta(hn::Set(d_in, static_cast<T>(p[0]))),
          beta_lo(hn::Set(d_in, static_cast<T>(p[0] - static_cast<T>(p[0])))),
          inv_beta(hn::Set(d_in, static_cast<T>(1 / p[0]))),
          threshold(hn::Set(d_in, static_cast<T>(p[1]))),
          unit_beta(p[0] == 1.0) {}

    // z = beta x = zh + zl exactly; f' = sigmoid(z).
    struct State {
      V<D> z, zl;
      Logistic<D> s;
      hn::Mask<D> linear;  // beta x > threshold: f = x, f' = 1
    };
    HWY_INLINE State Prepare(V<D> x) const {
      const V<D> xc = ClampHuge(d, x);
      if (unit_beta) return {xc, hn::Zero(d), Logistic<D>(d, xc), hn::Gt(xc, threshold)};
      V<D> zl;
      const V<D> z = TwoProductClamped(d, beta, xc, &zl);
      zl = hn::MulAdd(beta_lo, xc, zl);
      return {z, zl, Logistic<D>(d, z, zl), hn::Gt(z, threshold)};
    }
    // log(1 + e^z) = max(z, 0) + log1p(e^-|z|), the sum kept as hi + lo
    // (Fast2Sum of the larger and the smaller term), then divided by beta
    // with one correction step (exact for beta = 1).
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      V<D> l_lo;
      const V<D> l = Log1pUnitInterval(d, s.s.e, &l_lo);
      // log1p(e + e_lo) = log1p(e) + e_lo / (1 + e): the exponential's own
      // rounding would otherwise dominate where e is small.
      l_lo = hn::MulAdd(s.s.parts.Scale(s.s.parts.NLo(d)), s.s.r, l_lo);
      const V<D> zp = hn::IfThenZeroElse(s.s.negative, s.z);
      V<D> sp_lo;
      V<D> sp = Fast2Sum<D>(hn::Max(zp, l), hn::Min(zp, l), &sp_lo);
      sp_lo = hn::Add(sp_lo, hn::Add(l_lo, hn::IfThenZeroElse(s.s.negative, s.zl)));
      // Deep in the lower tail (e < 2^-24), log1p(e) = e (1 - e/2): from
      // (n + n_lo) 2^q, scaled after the division, since e itself may be
      // subnormal where e / beta is not.
      const auto tail = hn::Lt(s.z, hn::Set(d, static_cast<T>(-20)));
      const V<D> n_lo = s.s.parts.NLo(d);
      sp = hn::IfThenElse(tail, s.s.n, sp);
      sp_lo = hn::IfThenElse(tail, hn::NegMulAdd(hn::Mul(s.s.n, s.s.e), hn::Set(d, 0.5), n_lo),
                             sp_lo);
      const V<D> y =
          unit_beta ? hn::Add(sp, sp_lo) : DivideCorrected(d, sp, sp_lo, beta, beta_lo, inv_beta);
      return hn::IfThenElse(s.linear, x, s.s.parts.ScaleWhere(tail, y));
    }
    // g sigmoid(z), g multiplied in before the final scaling.
    // (kExtended: the exponential's rounding carried, within 1 ULP.)
    HWY_INLINE V<D> Slope(const State& s, V<D>, Unit) const {
      return hn::IfThenElse(s.linear, hn::Set(d, 1), s.s.template MulSigmoid<true>(d, Unit{}));
    }
    HWY_INLINE V<D> Slope(const State& s, V<D>, V<D> g) const {
      return hn::IfThenElse(s.linear, g, s.s.template MulSigmoid<true>(d, g));
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SOFTPLUS_INL_H_
