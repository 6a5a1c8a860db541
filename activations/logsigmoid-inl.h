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
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 3, .derivative = 3, .backward = 3, .derivative_from_output = 3,
                    .backward_from_output = 3},
    .notes = "Computed as min(x, 0) - log1p(exp(-|x|)): no overflow, and the two "
             "terms never cancel (same sign). logsigmoid(100) = -3.7e-44 in "
             "float32, logsigmoid(-100) = -100. From the output, f' = -expm1(y). "
             "float32 is computed in float64 and rounded once.",
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
  // float32 through float64: Highway's log1p alone is 2 ULP in float32.
  static constexpr bool kFloatForwardViaDouble = true;
  static constexpr bool kFloatDerivativeViaDouble = true;
  // From y too: natively -expm1(y) times g reaches 1.6 ULP.
  static constexpr bool kFloatFromOutputViaDouble = true;

  template <class D>
  struct Kernel {
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    // The logistic function's pieces at z = -x: f' = sigmoid(-x).
    using State = Logistic<D>;
    HWY_INLINE State Prepare(V<D> x) const { return Logistic<D>(d, hn::Neg(x), hn::Zero(d)); }
    // min(x, 0) - log1p(e), e = exp(-|x|) in (0, 1]; log1p of a subnormal e
    // returns e itself, so logsigmoid(740) = -exp(-740) keeps its digits.
    // (Highway's Log1p, <= 2 ULP: float32 is computed in float64.)
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      return hn::Sub(hn::Min(x, hn::Zero(d)), hn::Log1p(d, s.e));
    }
    // g sigmoid(-x), g multiplied in before the final scaling (the logistic's
    // MulSigmoid), so g f' keeps its digits where f' alone is subnormal.
    HWY_INLINE V<D> Slope(const State& s, V<D>, Unit) const {
      return s.MulSigmoid(d, hn::Set(d, 1));
    }
    HWY_INLINE V<D> Slope(const State& s, V<D>, V<D> g) const { return s.MulSigmoid(d, g); }
    // 1 - e^y = -expm1(y) for y <= 0, without cancellation near y = 0.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
      return Times(d, g,
                   hn::Neg(ComputeExpParts(d, hn::Min(y, hn::Zero(d))).Expm1NonPositive(d)));
    }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_LOGSIGMOID_INL_H_
