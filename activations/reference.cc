#include "activations/reference.h"

#include <cmath>
#include <limits>

#include "activations/catalog.h"

namespace activations::reference {

long double Forward(const Call& call, long double x) {
  return GetSpec(call.id).reference.value(x, call.params.data());
}

long double Derivative(const Call& call, long double x) {
  return GetSpec(call.id).reference.derivative(x, call.params.data());
}

long double DerivativeFromOutput(const Call& call, long double y) {
  const auto f = GetSpec(call.id).reference.derivative_from_output;
  return f ? f(y, call.params.data()) : std::numeric_limits<long double>::quiet_NaN();
}

Element Evaluate(const Call& call, long double input, long double grad) {
  // At +-inf the formulas may give inf/inf; the limit is the value at a
  // long double far beyond every float64 (it overflows to inf in T where
  // the limit is infinite), small enough that x^3 stays finite.
  if (std::isinf(input)) input = std::copysign(1e1000L, input);
  const bool from_output = call.input_kind == InputKind::kOutput;
  auto derivative = [&] {
    return from_output ? DerivativeFromOutput(call, input) : Derivative(call, input);
  };
  switch (call.mode) {
    case Mode::kForward:
      return {Forward(call, input), 0};
    case Mode::kDerivative:
      return {derivative(), 0};
    case Mode::kForwardAndDerivative:
      return {Forward(call, input), Derivative(call, input)};
    case Mode::kBackward: {
      const long double d = derivative();
      // A zero derivative selects 0 whatever the gradient (relu's backward is
      // a select, as PyTorch's threshold_backward); NaN inputs stay NaN.
      if (d == 0 && !std::isnan(grad)) return {0, 0};
      return {grad * d, 0};
    }
  }
  return {0, 0};
}

template <typename T>
double UlpError(T got, long double want) {
  if (std::isnan(want) || std::isnan(got)) {
    return std::isnan(want) && std::isnan(got) ? 0 : std::numeric_limits<double>::infinity();
  }
  // The exact value, rounded to T, may overflow: compare infinities as such.
  const long double max = std::numeric_limits<T>::max();
  if (std::isinf(got) || std::isinf(want) || std::fabs(want) > max) {
    const long double w = std::fabs(want) > max ? std::copysign(INFINITY, want) : want;
    if (std::isinf(got) && std::isinf(w) && std::signbit(got) == std::signbit(w)) return 0;
    if (!std::isinf(got) && std::isinf(w)) {
      // Exact value just above max: count the distance to max in ULPs.
      return static_cast<double>(std::fabs(w - got));
    }
    return std::numeric_limits<double>::infinity();
  }
  // Spacing of T at |want|: 2^(exponent - digits), never below denorm_min.
  int exp;
  std::frexp(std::fabs(want), &exp);
  long double ulp = std::ldexp(1.0L, exp - std::numeric_limits<T>::digits);
  ulp = std::max<long double>(ulp, std::numeric_limits<T>::denorm_min());
  if (want == 0) ulp = std::numeric_limits<T>::denorm_min();
  return static_cast<double>(std::fabs(static_cast<long double>(got) - want) / ulp);
}

template double UlpError<float>(float, long double);
template double UlpError<double>(double, long double);

template <typename T>
double ContractUlpError(const Call& call, T got, long double want, long double input,
                        long double grad, bool is_derivative) {
  const double err = UlpError<T>(got, want);
  if (!std::isfinite(err)) return err;
  const DType dtype = sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
  const ActivationSpec& spec = GetSpec(call.id);
  const UlpBounds& bounds = dtype == DType::kFloat32 ? spec.ulp_float32 : spec.ulp_float64;
  const long double scale = call.mode == Mode::kBackward ? std::fabs(grad) : 1.0L;
  const long double near_zero_slack = bounds.derivative_near_zero_ulp_of_one;
  if (is_derivative && near_zero_slack > 0 && std::fabs(input) < kNearZeroMaxAbsInput &&
      std::fabs(want) < kNearZeroMaxAbsDerivative * scale &&
      std::fabs(static_cast<long double>(got) - want) <=
          near_zero_slack * std::numeric_limits<T>::epsilon() * scale) {
    return 0;
  }
  const bool second = is_derivative && call.mode == Mode::kForwardAndDerivative;
  const double bound =
      MaxUlpError(call, dtype, second ? ResultTensor::kDerivative : ResultTensor::kOutput);
  if (std::fabs(want) < std::numeric_limits<T>::min() && err <= bound + kSubnormalExtraUlp) {
    return 0;
  }
  return err;
}

template double ContractUlpError<float>(const Call&, float, long double, long double,
                                        long double, bool);
template double ContractUlpError<double>(const Call&, double, long double, long double,
                                         long double, bool);

}  // namespace activations::reference
