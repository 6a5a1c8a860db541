#include "activations/reference.h"

#include <cmath>
#include <limits>
#include <vector>

#include "activations/catalog.h"

namespace activations::reference {

namespace {
constexpr long double kNaN = std::numeric_limits<long double>::quiet_NaN();
}  // namespace

long double Forward(const Call& call, long double x) {
  const auto f = GetSpec(call.id).reference.value;
  return f ? f(x, call.params.data()) : kNaN;
}

long double Derivative(const Call& call, long double x) {
  const auto f = GetSpec(call.id).reference.derivative;
  return f ? f(x, call.params.data()) : kNaN;
}

void EvaluateLine(const Call& call, const long double* input, const long double* grad,
                  std::size_t n, long double* out) {
  const ReferenceFunctions& ref = GetSpec(call.id).reference;
  if (call.mode == Mode::kForward) return ref.line_value(input, n, out);
  std::vector<long double> y(input, input + n);
  if (call.input_kind == InputKind::kX) ref.line_value(input, n, y.data());
  ref.line_backward_from_output(y.data(), grad, n, out);
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

namespace {

// A floating-point format: significant bits, smallest subnormal, largest
// finite value.
struct Format {
  int digits;
  long double denorm_min;
  long double max;
};

template <typename T>
constexpr Format FormatOf() {
  return {std::numeric_limits<T>::digits, std::numeric_limits<T>::denorm_min(),
          std::numeric_limits<T>::max()};
}

Format FormatOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return FormatOf<float>();
    case DType::kFloat64: return FormatOf<double>();
    case DType::kBFloat16: return {8, 0x1p-133L, 0x1.FEp127L};
    case DType::kFloat16: return {11, 0x1p-24L, 65504};
  }
  return FormatOf<double>();
}

double UlpErrorIn(const Format& format, long double got, long double want) {
  if (std::isnan(want) || std::isnan(got)) {
    return std::isnan(want) && std::isnan(got) ? 0 : std::numeric_limits<double>::infinity();
  }
  // The exact value, rounded to T, may overflow: compare infinities as such.
  // It does from max + ulp(max) / 2 up (a tie goes to inf, since max's last
  // bit is odd); below that it rounds to max and is counted in ULPs.
  int max_exp;
  std::frexp(format.max, &max_exp);
  const long double overflow = format.max + std::ldexp(1.0L, max_exp - format.digits - 1);
  if (std::isinf(got) || std::isinf(want) || std::fabs(want) >= overflow) {
    const long double w = std::fabs(want) >= overflow ? std::copysign(INFINITY, want) : want;
    if (std::isinf(got) && std::isinf(w) && std::signbit(got) == std::signbit(w)) return 0;
    if (!std::isinf(got) && std::isinf(w)) {
      // Exact value just above max: count the distance to max in ULPs.
      return static_cast<double>(std::fabs(w - got));
    }
    return std::numeric_limits<double>::infinity();
  }
  // Spacing of T at |want|: 2^(exponent - digits), never below denorm_min.
  // (The exponent from the double nearest |want|, one less where that
  // rounded up to a power of two: long double's frexpl and ldexpl cost the
  // exhaustive certificate a third of its time.)
  const long double a = std::fabs(want);
  if (a == 0) return static_cast<double>(std::fabs(got) / format.denorm_min);
  int exp;
  const double m = std::frexp(static_cast<double>(a), &exp);
  if (m == 0.5 && static_cast<long double>(std::ldexp(0.5, exp)) > a) --exp;
  long double ulp = exp - format.digits >= -1022 ? std::ldexp(1.0, exp - format.digits)
                                                 : std::ldexp(1.0L, exp - format.digits);
  ulp = std::max<long double>(ulp, format.denorm_min);
  return static_cast<double>(std::fabs(got - want) / ulp);
}

}  // namespace

template <typename T>
double UlpError(T got, long double want) {
  return UlpErrorIn(FormatOf<T>(), got, want);
}

double UlpError(DType dtype, double got, long double want) {
  return UlpErrorIn(FormatOf(dtype), got, want);
}

double ContractUlpError(DType dtype, const Call& call, double got, long double want) {
  const double err = UlpError(dtype, got, want);
  if (!std::isfinite(err)) return err;
  const Format format = FormatOf(dtype);
  const long double min_normal = std::ldexp(format.denorm_min, format.digits - 1);
  if (std::fabs(want) < min_normal && err <= MaxUlpError(call, dtype) + 2) return 0;
  return err;
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

void LineContractUlpError(const Call& call, DType dtype, const long double* input,
                          const long double* grad, const long double* got, std::size_t n,
                          double* err) {
  const ReferenceFunctions& ref = GetSpec(call.id).reference;
  std::vector<long double> want(n), y(input, input + n), size;
  EvaluateLine(call, input, grad, n, want.data());
  const bool backward = call.mode == Mode::kBackward;
  if (backward) {
    if (call.input_kind == InputKind::kX) ref.line_value(input, n, y.data());
    size.resize(n);
    ref.line_backward_magnitude(y.data(), grad, n, size.data());
  }
  const Format format = FormatOf(dtype);
  const long double min_normal = std::ldexp(format.denorm_min, format.digits - 1);
  const double bound = MaxUlpError(call, dtype);
  for (std::size_t i = 0; i < n; ++i) {
    double e = UlpErrorIn(format, got[i], want[i]);
    if (backward && std::isfinite(e) && std::isfinite(size[i])) {
      // The spacing of the element type at the terms' size.
      int exp = 0;
      std::frexp(size[i], &exp);
      const long double ulp = size[i] == 0 ? format.denorm_min
                                           : std::max(std::ldexp(1.0L, exp - format.digits),
                                                      format.denorm_min);
      e = std::min(e, static_cast<double>(std::fabs(got[i] - want[i]) / ulp));
    }
    if (std::isfinite(e) && std::fabs(want[i]) < min_normal && e <= bound + kSubnormalExtraUlp) {
      e = 0;
    }
    err[i] = e;
  }
}

template double ContractUlpError<float>(const Call&, float, long double, long double,
                                        long double, bool);
template double ContractUlpError<double>(const Call&, double, long double, long double,
                                         long double, bool);

}  // namespace activations::reference
