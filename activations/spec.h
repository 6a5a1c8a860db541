// The description of one activation function: what the catalogue publishes and
// what the library validates requests against. Each activation defines one
// `ActivationSpec` in its own `<name>-inl.h`; nothing else restates it.
#ifndef ACTIVATIONS_SPEC_H_
#define ACTIVATIONS_SPEC_H_

#include <array>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace activations {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// An interval of the real line; either end may be infinite.
struct Range {
  double min = -kInf;
  double max = kInf;
  bool min_inclusive = false;
  bool max_inclusive = false;

  constexpr bool Contains(double v) const {
    return (min_inclusive ? v >= min : v > min) &&
           (max_inclusive ? v <= max : v < max);
  }
  // "[0, inf)", "(0, 1)", "(-inf, inf)".
  std::string ToString() const;
};

// One named parameter, named and defaulted as in torch.nn.functional.
struct ParamSpec {
  std::string_view name;
  double default_value;
  Range valid_range;
  std::string_view description;
  // The value must be a whole number (softmax's dim).
  bool integer = false;
};

// Properties of f at the default parameters; tests check each numerically.
struct Properties {
  bool bounded_below = false;
  bool bounded_above = false;
  bool smooth = false;        // f is C^1 everywhere
  bool monotonic = false;     // f' >= 0 everywhere
  bool zero_centered = false; // f(0) = 0 and f takes both signs
  bool saturating = false;    // f' -> 0 as x -> -inf and as x -> +inf
};

inline constexpr std::size_t kMaxParams = 2;

// Parameter values in the order of the spec's `params`: what a kernel is
// constructed from. Here rather than in evaluate.h so that an activation's
// file needs only this header and the math (evaluate.h brings the list, and
// so every activation file, back in).
using ParamValues = std::array<double, kMaxParams>;

// The accuracy contract's two region rules, the same for every activation
// (published per element type in the catalogue beside the bounds):
// near a zero of f', the exception UlpBounds::derivative_near_zero_ulp_of_one
// applies where |x| < kNearZeroMaxAbsInput and the exact |f'(x)| <
// kNearZeroMaxAbsDerivative (both times |g| in backward)...
inline constexpr double kNearZeroMaxAbsInput = 4;
inline constexpr double kNearZeroMaxAbsDerivative = 1.0 / 16;
// ...and where the exact result is subnormal, a result may be off by this
// many more steps of denorm_min than its bound (the bounds are stated for
// normal results; a subnormal has fewer significant bits).
inline constexpr double kSubnormalExtraUlp = 2;

// Error bounds of one element type, per mode, in ULP: units in the last place
// of the element type at the exact result (its spacing there; denorm_min
// below the normal range). Measured on every SIMD target and enforced by
// tests/activations/accuracy_test.cc; the catalogue publishes them as they
// are (proto ActivationInfo.ulp_bounds_float32/64).
struct UlpBounds {
  // f(x): kForward, and the output of kForwardAndDerivative (bit-identical).
  double forward = 0;
  // f'(x) from x: kDerivative, and the derivative of kForwardAndDerivative.
  double derivative = 0;
  // g * f'(x) from x: kBackward.
  double backward = 0;
  // f' and g * f' from y = f(x) (InputKind::kOutput); only where the spec's
  // derivative_from_output, else 0.
  double derivative_from_output = 0;
  double backward_from_output = 0;
  // The one exception to the relative bounds, for non-monotonic functions:
  // near a zero of f', f' is a difference of O(1) terms and its error is
  // absolute. Where |x| < kNearZeroMaxAbsInput and the exact |f'(x)| <
  // kNearZeroMaxAbsDerivative (times |g| in backward), the error of f' (of
  // g f') is at most this many ULP of 1 (times |g|). 0: no exception, the
  // relative bounds hold everywhere.
  double derivative_near_zero_ulp_of_one = 0;

  // The largest per-mode bound.
  constexpr double Max() const {
    double m = forward;
    for (double b : {derivative, backward, derivative_from_output, backward_from_output}) {
      m = b > m ? b : m;
    }
    return m;
  }
};

// The scalar oracle of one activation: plain long double with the stable
// textbook formula, independent of the SIMD kernels. For tests and tools
// (reference.h), never for serving. `p` holds the parameters in spec order.
struct ReferenceFunctions {
  long double (*value)(long double x, const double* p) = nullptr;
  long double (*derivative)(long double x, const double* p) = nullptr;
  // f' as a function of y = f(x); null unless derivative_from_output.
  long double (*derivative_from_output)(long double y, const double* p) = nullptr;
  // Instead of the three above, for a function that is not elementwise
  // (softmax): f over one line of n values along the reduced dimension, and
  // the backward (Jacobian-vector product) from that line's output y and
  // upstream gradient g.
  void (*line_value)(const long double* x, std::size_t n, long double* y) = nullptr;
  void (*line_backward_from_output)(const long double* y, const long double* g, std::size_t n,
                                    long double* out) = nullptr;
  // The size of the terms that the backward's result is a difference of,
  // per element (softmax: y_i (|g_i| + sum_j |g_j| y_j)): where they cancel,
  // the backward's bound is in ULP of this (reference::LineContractUlpError).
  void (*line_backward_magnitude)(const long double* y, const long double* g, std::size_t n,
                                  long double* out) = nullptr;
};

struct ActivationSpec {
  std::string_view name;                // wire name, e.g. "leaky_relu"
  std::string_view formula;             // f(x), one line
  std::string_view derivative_formula;  // f'(x), one line
  std::span<const ParamSpec> params;    // at most kMaxParams, PyTorch's order
  Range output_range;                   // range of f at default parameters
  Properties properties;
  // f' can be computed from y = f(x) alone (derivative/backward accept y).
  bool derivative_from_output = false;
  // Measured error bounds per mode, in ULP of float32 and of float64.
  UlpBounds ulp_float32;
  UlpBounds ulp_float64;
  // Conventions at non-differentiable points, in the tails, for NaN and inf.
  std::string_view notes;
  ReferenceFunctions reference;
  // How PyTorch spells this function, where that is not
  // torch.nn.functional.<name> with the same parameters: gelu_tanh is
  // "torch.nn.functional.gelu(input, approximate='tanh')". Empty means
  // torch.nn.functional.<name> with the same parameters; a function PyTorch
  // lacks says so ("none; x * torch.sigmoid(beta * x)").
  std::string_view pytorch = {};
  // f(x) of each element depends on that element alone. softmax and
  // log_softmax are not: they reduce along a dimension of the tensor, take
  // no derivative mode (f' is a Jacobian), and their backward is the
  // Jacobian-vector product.
  bool elementwise = true;
  // A rule that ties parameters together (hardtanh: min_val < max_val):
  // returns a description of the violated rule, or nullptr when the
  // parameters (in spec order, each already inside its own range) are valid.
  const char* (*check_params)(const double* p) = nullptr;
};

}  // namespace activations

#endif  // ACTIVATIONS_SPEC_H_
