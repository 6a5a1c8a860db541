// relu(x) = max(0, x).
#ifndef ACTIVATIONS_RELU_SPEC_H_
#define ACTIVATIONS_RELU_SPEC_H_
#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double ReluReference(long double x, const double*) {
  return std::isnan(x) ? x : (x > 0 ? x : 0);
}
inline long double ReluReferenceDerivative(long double x, const double*) {
  return std::isnan(x) ? x : (x > 0 ? 1 : 0);
}
inline constexpr ActivationSpec kReluSpec{
    .name = "relu",
    .formula = "f(x) = max(0, x)",
    .derivative_formula = "f'(x) = 1 if x > 0 else 0",
    .params = {},
    .output_range = {.min = 0, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = false, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0, .derivative = 0, .backward = 0, .derivative_from_output = 0,
                    .backward_from_output = 0},
    .ulp_float64 = {.forward = 0, .derivative = 0, .backward = 0, .derivative_from_output = 0,
                    .backward_from_output = 0},
    .notes = "Not differentiable at 0: f'(0) = 0, as PyTorch. Backward selects "
             "(g if x > 0 else 0) rather than multiplying, so g = inf at x <= 0 "
             "gives 0, as PyTorch's threshold_backward; but g = NaN gives NaN at "
             "every x (NaN in, NaN out), where PyTorch's select gives 0 at "
             "x <= 0. f(-0) = +0.",
    .reference = {&ReluReference, &ReluReferenceDerivative, &ReluReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct ReluNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x > T(0) ? x : T(0);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    return x > T(0) ? T(1) : T(0);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_RELU_SPEC_H_

#if defined(ACTIVATIONS_RELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_RELU_INL_H_
#undef ACTIVATIONS_RELU_INL_H_
#else
#define ACTIVATIONS_RELU_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Relu {
  static constexpr bool kFloatForwardViaDouble = false;
  static constexpr bool kFloatDerivativeViaDouble = false;

  template <class D>
  struct Kernel {
    // Bound by memory, not arithmetic: large jobs store every mode's results
    // non-temporally (kernels.cc StreamsOneOutput).
    static constexpr bool kStreamLargeOutputs = true;
    // A few vector operations per element in its forward: float64 jobs
    // past L2 run it in 256-bit vectors on 512-bit targets (kernels.cc
    // NarrowsPastL2).
    static constexpr bool kNarrowPastL2 = true;
    D d;
    Kernel(D d_in, const ParamValues&) : d(d_in) {}

    using State = hn::Mask<D>;  // x > 0
    HWY_INLINE State Prepare(V<D> x) const { return hn::Gt(x, hn::Zero(d)); }
    // Selects, not products: x itself, and g (not g * 1) or 0. NaN lanes of
    // x and g are restored by the driver.
    HWY_INLINE V<D> Value(const State& pos, V<D> x) const { return hn::IfThenElseZero(pos, x); }
    HWY_INLINE V<D> Slope(const State& pos, V<D>, Unit) const { return hn::IfThenElseZero(pos, hn::Set(d, 1)); }
    HWY_INLINE V<D> Slope(const State& pos, V<D>, V<D> g) const { return hn::IfThenElseZero(pos, g); }
    // y > 0 exactly when x > 0.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const { return Slope(Prepare(y), y, g); }
  };
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_RELU_INL_H_
