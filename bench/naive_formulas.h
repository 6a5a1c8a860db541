// The baseline the SIMD kernels are measured against: each activation written
// the way a first version would be, one element at a time with <cmath>, the
// textbook formula and no care for the tails (tanh' as 1 - tanh^2, sigmoid as
// 1 / (1 + exp(-x)), mish through log1p(exp(x))). Benchmarks only: these lose
// precision or overflow in the tails, which is the other half of the point.
//
// One specialisation per ACTIVATION_LIST entry, keyed by ActivationId: the
// primary template says kDefined = false, and activation_benchmark.cc
// static_asserts kDefined for every entry, so adding an activation without
// its naive formula does not compile.
//
// Parameters come in spec order (ActivationSpec::params), as Call::params
// holds them; the benchmark passes the catalogue defaults.
#ifndef BENCH_NAIVE_FORMULAS_H_
#define BENCH_NAIVE_FORMULAS_H_

#include <cmath>
#include <numbers>

#include "activations/activation_id.h"
#include "activations/evaluate.h"

namespace activations::bench {

template <ActivationId kId>
struct NaiveFormula {
  static constexpr bool kDefined = false;
};

template <>
struct NaiveFormula<ActivationId::kSigmoid> {
  static constexpr bool kDefined = true;
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return T(1) / (T(1) + std::exp(-x));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    const T s = Value(x, p);
    return s * (T(1) - s);
  }
};

template <>
struct NaiveFormula<ActivationId::kTanh> {
  static constexpr bool kDefined = true;
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return std::tanh(x);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T t = std::tanh(x);
    return T(1) - t * t;
  }
};

template <>
struct NaiveFormula<ActivationId::kRelu> {
  static constexpr bool kDefined = true;
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x > T(0) ? x : T(0);
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    return x > T(0) ? T(1) : T(0);
  }
};

template <>
struct NaiveFormula<ActivationId::kLeakyRelu> {  // p[0] = negative_slope
  static constexpr bool kDefined = true;
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x > T(0) ? x : static_cast<T>(p[0]) * x;
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > T(0) ? T(1) : static_cast<T>(p[0]);
  }
};

template <>
struct NaiveFormula<ActivationId::kElu> {  // p[0] = alpha
  static constexpr bool kDefined = true;
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x > T(0) ? x : static_cast<T>(p[0]) * (std::exp(x) - T(1));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > T(0) ? T(1) : static_cast<T>(p[0]) * std::exp(x);
  }
};

template <>
struct NaiveFormula<ActivationId::kSoftplus> {  // p[0] = beta, p[1] = threshold
  static constexpr bool kDefined = true;
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

template <>
struct NaiveFormula<ActivationId::kSilu> {
  static constexpr bool kDefined = true;
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x / (T(1) + std::exp(-x));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T s = T(1) / (T(1) + std::exp(-x));
    return s * (T(1) + x * (T(1) - s));
  }
};

template <>
struct NaiveFormula<ActivationId::kSwish> {  // p[0] = beta
  static constexpr bool kDefined = true;
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

template <>
struct NaiveFormula<ActivationId::kMish> {
  static constexpr bool kDefined = true;
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return x * std::tanh(std::log1p(std::exp(x)));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    const T t = std::tanh(std::log1p(std::exp(x)));
    const T s = T(1) / (T(1) + std::exp(-x));
    return t + x * s * (T(1) - t * t);
  }
};

template <>
struct NaiveFormula<ActivationId::kGelu> {
  static constexpr bool kDefined = true;
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return T(0.5) * x * (T(1) + std::erf(x / std::numbers::sqrt2_v<T>));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    // 1 / sqrt(2 pi)
    const T inv_sqrt_2pi = std::numbers::inv_sqrtpi_v<T> / std::numbers::sqrt2_v<T>;
    const T cdf = T(0.5) * (T(1) + std::erf(x / std::numbers::sqrt2_v<T>));
    return cdf + x * std::exp(T(-0.5) * x * x) * inv_sqrt_2pi;
  }
};

template <>
struct NaiveFormula<ActivationId::kGeluTanh> {
  static constexpr bool kDefined = true;
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

}  // namespace activations::bench

#endif  // BENCH_NAIVE_FORMULAS_H_
