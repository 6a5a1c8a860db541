#include "activations/reference.h"

#include <cmath>
#include <cstdint>
#include <cstring>
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

// 2^k, for constant expressions (std::ldexp is not constexpr in C++20).
constexpr long double Pow2(int k) {
  long double p = 1;
  for (; k > 0; --k) p *= 2;
  for (; k < 0; ++k) p /= 2;
  return p;
}

// A floating-point format: significant bits, smallest subnormal, largest
// finite value (max_exponent: frexp's exponent of it), and where an exact
// value starts to round to infinity: max + ulp(max) / 2 (a tie goes to inf,
// since max's last bit is odd).
struct Format {
  int digits;
  long double denorm_min;
  long double max;
  int max_exponent;
  long double overflow = max + Pow2(max_exponent - digits - 1);
};

template <typename T>
constexpr Format FormatOf() {
  return {std::numeric_limits<T>::digits, std::numeric_limits<T>::denorm_min(),
          std::numeric_limits<T>::max(), std::numeric_limits<T>::max_exponent};
}

Format FormatOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return FormatOf<float>();
    case DType::kFloat64: return FormatOf<double>();
    case DType::kBFloat16: return {8, 0x1p-133L, 0x1.FEp127L, 128};
    case DType::kFloat16: return {11, 0x1p-24L, 65504, 16};
  }
  return FormatOf<double>();
}

// frexp's exponent of the double nearest a > 0 (0 where that is 0), one less
// where that double rounded up to a power of two: floor(log2(a)) + 1 wherever
// a is in double's normal range. There, on x87's 80-bit long double, it is
// read from a's exponent bits; elsewhere (and on other long doubles) it is
// computed as it always was, so both give the same ULP everywhere. (libm's
// frexp and ldexp were a third of the exhaustive certificate's time.)
int UlpExponent(long double a) {
  if constexpr (std::numeric_limits<long double>::digits == 64 &&
                std::numeric_limits<long double>::max_exponent == 16384 &&
                sizeof(long double) >= 10) {
    unsigned char bytes[sizeof(long double)];
    std::memcpy(bytes, &a, sizeof(a));
    const int biased = (bytes[8] | bytes[9] << 8) & 0x7FFF;  // sign and exponent: bytes 8, 9
    // a in [2^(biased - 16383), 2^(biased - 16382)), and a double's normal
    // range is [2^-1022, 2^1024).
    if (biased >= 16383 - 1022 && biased < 16383 + 1023) return biased - 16382;
  }
  int exp;
  const double m = std::frexp(static_cast<double>(a), &exp);
  if (m == 0.5 && static_cast<long double>(std::ldexp(0.5, exp)) > a) --exp;
  return exp;
}

// 2^k, exactly, for k in double's normal range.
double Pow2Normal(int k) {
  const std::uint64_t bits = static_cast<std::uint64_t>(k + 1023) << 52;
  double p;
  std::memcpy(&p, &bits, sizeof(p));
  return p;
}

double UlpErrorIn(const Format& format, long double got, long double want) {
  if (std::isnan(want) || std::isnan(got)) {
    return std::isnan(want) && std::isnan(got) ? 0 : std::numeric_limits<double>::infinity();
  }
  // The exact value, rounded to T, may overflow: compare infinities as such;
  // below format.overflow it rounds to max and is counted in ULPs.
  if (std::isinf(got) || std::isinf(want) || std::fabs(want) >= format.overflow) {
    const long double w = std::fabs(want) >= format.overflow ? std::copysign(INFINITY, want) : want;
    if (std::isinf(got) && std::isinf(w) && std::signbit(got) == std::signbit(w)) return 0;
    if (!std::isinf(got) && std::isinf(w)) {
      // Exact value just above max: count the distance to max in ULPs.
      return static_cast<double>(std::fabs(w - got));
    }
    return std::numeric_limits<double>::infinity();
  }
  // Spacing of T at |want|: 2^(exponent - digits), never below denorm_min.
  const long double a = std::fabs(want);
  if (a == 0) return static_cast<double>(std::fabs(got) / format.denorm_min);
  const int exp = UlpExponent(a);
  long double ulp = exp - format.digits >= -1022 ? Pow2Normal(exp - format.digits)
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
ContractUlp<T>::ContractUlp(const Call& call, bool is_derivative)
    : is_derivative_(is_derivative), backward_(call.mode == Mode::kBackward) {
  const DType dtype = sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
  const ActivationSpec& spec = GetSpec(call.id);
  const UlpBounds& bounds = dtype == DType::kFloat32 ? spec.ulp_float32 : spec.ulp_float64;
  near_zero_slack_ = bounds.derivative_near_zero_ulp_of_one;
  const bool second = is_derivative && call.mode == Mode::kForwardAndDerivative;
  bound_ = MaxUlpError(call, dtype, second ? ResultTensor::kDerivative : ResultTensor::kOutput);
}

template <typename T>
double ContractUlp<T>::operator()(T got, long double want, long double input,
                                  long double grad) const {
  const double err = UlpError<T>(got, want);
  if (!std::isfinite(err)) return err;
  const long double scale = backward_ ? std::fabs(grad) : 1.0L;
  if (is_derivative_ && near_zero_slack_ > 0 && std::fabs(input) < kNearZeroMaxAbsInput &&
      std::fabs(want) < kNearZeroMaxAbsDerivative * scale &&
      std::fabs(static_cast<long double>(got) - want) <=
          near_zero_slack_ * std::numeric_limits<T>::epsilon() * scale) {
    return 0;
  }
  if (std::fabs(want) < std::numeric_limits<T>::min() && err <= bound_ + kSubnormalExtraUlp) {
    return 0;
  }
  return err;
}

template <typename T>
double ContractUlpError(const Call& call, T got, long double want, long double input,
                        long double grad, bool is_derivative) {
  return ContractUlp<T>(call, is_derivative)(got, want, input, grad);
}

template class ContractUlp<float>;
template class ContractUlp<double>;

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
