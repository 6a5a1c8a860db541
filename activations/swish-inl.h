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
inline long double SwishReference(long double x, const double* p) {
  return x / (1 + std::exp(-p[0] * x));
}
inline long double SwishReferenceDerivative(long double x, const double* p) {
  const long double z = p[0] * x;
  const long double s = 1 / (1 + std::exp(-z));
  const long double c = std::cosh(z / 2);  // s (1 - s) = 1 / (4 cosh^2(z/2))
  return s + z / (4 * c * c);
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
             "with a series at the zero of f' (beta*x = -1.2785), so float32 has "
             "no near-zero exception; float64 has the bounds' derivative_near_zero "
             "one.",
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
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// x sigmoid(beta x) and its derivative; shared with Silu (kUnitBeta: beta =
// 1, z = x exactly).
template <class D, bool kUnitBeta>
struct SwishKernel {
  using T = hn::TFromD<D>;
  D d;
  // beta = beta_hi + beta_lo: in float32 the rounding of beta itself would
  // otherwise be amplified by exp in the tail (40 ULP at z = -87).
  V<D> beta, beta_lo;
  SwishKernel(D d_in, double b)
      : d(d_in),
        beta(hn::Set(d_in, static_cast<T>(b))),
        beta_lo(hn::Set(d_in, static_cast<T>(b - static_cast<T>(b)))) {}

  struct State {
    V<D> z, z_lo;  // beta x exactly, x clamped to +-kHuge
    Logistic<D> gate;
  };
  HWY_INLINE State Prepare(V<D> x) const {
    const V<D> xc = ClampHuge(d, x);
    if constexpr (kUnitBeta) {
      return {xc, hn::Zero(d), Logistic<D>(d, xc)};
    } else {
      V<D> z_lo;
      const V<D> z = TwoProductClamped(d, beta, xc, &z_lo);
      z_lo = hn::MulAdd(beta_lo, xc, z_lo);
      return {z, z_lo, Logistic<D>(d, z, z_lo)};
    }
  }
  HWY_INLINE V<D> Value(const State& s, V<D> x) const { return s.gate.MulSigmoidAny(d, x); }
  // g (sigmoid(z) + z sigmoid'(z)), g multiplied in before the final scaling.
  // For z < 0 the numerator holds W = 1 + e^z + z, which vanishes at z0 =
  // -1.27846 (the zero of f'). float32 carries e^z to ~2^-30 (the
  // exponential's rounding carried; its polynomial's 0.02 ULP remains),
  // enough where |W| > e^z / 4, i.e. |z - z0| > 1/16; closer, W = u B(u)
  // with u = z - z0 (exact: Sterbenz and the lo parts) and B(u) = (1 + c) +
  // c u (1/2 + u (1/6 + u (1/24 + u/120))), c = e^z0 = -(1 + z0): the
  // Taylor series of 1 + z + e^z at z0, whose next term is below 2^-29 of B
  // there. float64 has the stated absolute error there instead
  // (UlpBounds::derivative_near_zero_ulp_of_one).
  template <class G>
  HWY_INLINE V<D> Slope(const State& s, V<D>, G g) const {
    if constexpr (sizeof(T) == 4) {
      // z0 and 1 + c = -z0 as hi + lo floats; c = 0.2784645427610738.
      const V<D> z0 = hn::Set(d, -1.27846455574035645f);
      const V<D> z0_lo = hn::Set(d, 1.2979283e-08f);
      V<D> u_lo;
      const V<D> u = Fast2Sum<D>(hn::Sub(s.z, z0), hn::Sub(s.z_lo, z0_lo), &u_lo);
      const auto near = hn::Lt(hn::Abs(u), hn::Set(d, 1.0f / 16));
      const V<D> c = hn::Set(d, 0.27846454f);
      V<D> series = hn::MulAdd(u, hn::Set(d, 1.0f / 120), hn::Set(d, 1.0f / 24));
      series = hn::MulAdd(u, series, hn::Set(d, 1.0f / 6));
      series = hn::MulAdd(u, series, hn::Set(d, 0.5f));
      const V<D> b_lo = hn::MulAdd(c, hn::Mul(u, series), hn::Set(d, -1.2979283e-08f));
      const V<D> b_hi = hn::Neg(z0);
      V<D> w_lo;
      V<D> w = TwoProduct(d, u, b_hi, &w_lo);
      w_lo = hn::MulAdd(u_lo, b_hi, hn::MulAdd(u, b_lo, w_lo));
      // Renormalized: u b_lo is up to 1 % of w, and the corrected division
      // wants a lo part below an ULP of its hi part.
      w = Fast2Sum<D>(w, w_lo, &w_lo);
      return s.gate.template SigmoidPlusSlope<true>(d, s.z, s.z_lo, g, &near, w, w_lo);
    } else {
      return s.gate.SigmoidPlusSlope(d, s.z, s.z_lo, g);
    }
  }
};

struct Swish {
  // The float32 forward is native (x sigmoid(z) has no cancellation and the
  // exact two-product keeps z's rounding out of the tail); the derivative
  // runs through the float64 kernel, whose single final rounding keeps it
  // within 1 ULP also next to the zero of f'.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  template <class D>
  struct Kernel : SwishKernel<D, false> {
    Kernel(D d, const ParamValues& p) : SwishKernel<D, false>(d, p[0]) {}
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SWISH_INL_H_
