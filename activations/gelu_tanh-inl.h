// gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GELU's tanh
// approximation (PyTorch's approximate='tanh').
#ifndef ACTIVATIONS_GELU_TANH_SPEC_H_
#define ACTIVATIONS_GELU_TANH_SPEC_H_
#include <numbers>

#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double GeluTanhU(long double x) {
  const long double kSqrt2OverPi = 0.797884560802865355879892119868763737L;
  return kSqrt2OverPi * (x + 0.044715L * x * x * x);
}
// (1 + tanh(u)) / 2 = 1 / (1 + exp(-2u)), without cancellation for u < 0.
inline long double GeluTanhReference(long double x, const double*) {
  return x / (1 + std::exp(-2 * GeluTanhU(x)));
}
inline long double GeluTanhReferenceDerivative(long double x, const double*) {
  const long double kSqrt2OverPi = 0.797884560802865355879892119868763737L;
  const long double u = GeluTanhU(x);
  const long double c = std::cosh(u);
  const long double du = kSqrt2OverPi * (1 + 3 * 0.044715L * x * x);
  return 1 / (1 + std::exp(-2 * u)) + x / 2 * du / (c * c);
}
inline constexpr ActivationSpec kGeluTanhSpec{
    .name = "gelu_tanh",
    .formula = "f(x) = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x^3)",
    .derivative_formula =
        "f'(x) = (1 + tanh(u))/2 + x/2 * (1 - tanh(u)^2) * sqrt(2/pi) * (1 + 0.134145 x^2)",
    .params = {},
    .output_range = {.min = -0.17004075057125405, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 1, .derivative = 1, .backward = 1},
    .ulp_float64 = {.forward = 10, .derivative = 10, .backward = 10,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "Computed as x * sigmoid(2u), since (1 + tanh(u))/2 = sigmoid(2u) has "
             "no cancellation for x < 0. float32 is computed in float64 and rounded "
             "once. 2u is formed in double-double so the exponential does not "
             "amplify its rounding in the lower tail. f'(x) = 0 at x = -0.7525 (the "
             "bounds' derivative_near_zero exception).",
    .reference = {&GeluTanhReference, &GeluTanhReferenceDerivative},
    .pytorch = "torch.nn.functional.gelu(input, approximate='tanh')",
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct GeluTanhNaive {
  // sqrt(2 / pi) and the 0.044715 of Hendrycks & Gimpel's tanh approximation.
  template <typename T>
  static constexpr T kSqrt2OverPi = std::numbers::sqrt2_v<T> * std::numbers::inv_sqrtpi_v<T>;
  template <typename T>
  static constexpr T kCubic = T(0.044715);

  template <typename T>
  static T Value(T x, const ParamValues&) {
    const T u = kSqrt2OverPi<T> * (x + kCubic<T> * x * x * x);
    return T(0.5) * x * (T(1) + std::tanh(u));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T u = kSqrt2OverPi<T> * (x + kCubic<T> * x * x * x);
    const T t = std::tanh(u);
    return T(0.5) * (T(1) + t) +
           T(0.5) * x * (T(1) - t * t) * kSqrt2OverPi<T> * (T(1) + T(3) * kCubic<T> * x * x);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_GELU_TANH_SPEC_H_

#if defined(ACTIVATIONS_GELU_TANH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_GELU_TANH_INL_H_
#undef ACTIVATIONS_GELU_TANH_INL_H_
#else
#define ACTIVATIONS_GELU_TANH_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct GeluTanh {
  static constexpr bool kFloatForwardViaDouble = true;
  static constexpr bool kFloatDerivativeViaDouble = true;

  template <class D>
  struct Kernel {
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // 2u = x (k1 + k2 x^2) with k1 = 2 sqrt(2/pi), k2 = 0.044715 k1, and
    // (2u)' = k1 + k3 x^2 with k3 = 3 k2. In the lower tail sigmoid(2u) is
    // exp(2u) with |2u| up to 700, which would amplify the rounding of 2u
    // 700-fold: 2u is therefore formed in double-double (hi + lo, about 100
    // bits), constants included (hi/lo pairs computed with mpmath).
    static constexpr double kK1Hi = 1.5957691216057308, kK1Lo = -9.96930880911092e-17;
    static constexpr double kK2Hi = 0.07135481627260025, kK2Lo = -6.175149918155315e-19;
    static constexpr double kK3 = 0.21406444881780073;

    struct State {
      V<D> xc, dz;  // x clamped; (2u)'
      Logistic<D> s;  // of 2u
    };
    V<D> Value(const State& s, V<D> x) const { return s.s.MulSigmoid(d, x); }
    template <class G>
    V<D> Slope(const State& s, V<D>, G g) const {
      return s.s.SigmoidPlusSlope(d, hn::Mul(s.xc, s.dz), g);
    }
    State Prepare(V<D> x) const {
      // Clamped so that huge |x| gives 2u = +-inf without inf * 0 later.
      const V<D> xc = hn::Min(hn::Max(x, hn::Set(d, -1e100)), hn::Set(d, 1e100));
      V<D> sq_lo, p_lo;
      const V<D> sq = TwoProduct(d, xc, xc, &sq_lo);
      // w = k1 + k2 x^2 in double-double.
      const V<D> p = TwoProduct(d, hn::Set(d, kK2Hi), sq, &p_lo);
      p_lo = hn::MulAdd(hn::Set(d, kK2Hi), sq_lo, hn::MulAdd(hn::Set(d, kK2Lo), sq, p_lo));
      const V<D> k1 = hn::Set(d, kK1Hi);
      const V<D> w = hn::Add(k1, p);
      const V<D> bb = hn::Sub(w, k1);  // TwoSum(k1, p) error term
      const V<D> w_err = hn::Add(hn::Sub(k1, hn::Sub(w, bb)), hn::Sub(p, bb));
      const V<D> w_lo = hn::Add(w_err, hn::Add(p_lo, hn::Set(d, kK1Lo)));
      // z = x w.
      V<D> z_lo;
      const V<D> z = TwoProduct(d, xc, w, &z_lo);
      z_lo = hn::MulAdd(xc, w_lo, z_lo);
      const V<D> dz = hn::MulAdd(hn::Set(d, kK3), sq, k1);
      return {xc, dz, Logistic<D>(d, z, z_lo)};
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_GELU_TANH_INL_H_
