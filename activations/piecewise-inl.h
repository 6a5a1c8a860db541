// Per-target helpers for the piecewise activations (relu6, hardtanh,
// hardsigmoid, hardswish, softshrink, hardshrink, threshold): comparisons of
// x against a breakpoint that is a float64 parameter, exact in every element
// type. Their backward selects g or 0 (or scales g) in Slope; the driver
// (kernels.cc) gives NaN for a NaN g and 0 for g = +-inf where f' = 0, so
// the kernels need no special case for either.

// Per-target include guard (Highway's toggle idiom).
#if defined(ACTIVATIONS_PIECEWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_PIECEWISE_INL_H_
#undef ACTIVATIONS_PIECEWISE_INL_H_
#else
#define ACTIVATIONS_PIECEWISE_INL_H_
#endif

#include <cmath>
#include <limits>

#include "activations/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// p rounded to the nearest T, +-inf beyond T's range (the float conversion
// of an out-of-range double is undefined behaviour in C++).
template <typename T>
T NearestOf(double p) {
  using L = std::numeric_limits<T>;
  if (p > static_cast<double>(L::max())) return L::infinity();
  if (p < static_cast<double>(L::lowest())) return -L::infinity();
  return static_cast<T>(p);
}

// Breakpoints in T that make a comparison with the float64 parameter p exact
// for every T value x, where comparing with p rounded to T would be wrong
// for the one x between p and its rounding (hardshrink(x = 0.1f, lambd =
// 0.1) must be 0.1f, since 0.1f > 0.1):
//   x > p  <=>  x >= FirstAbove<T>(p)       x < p  <=>  x <= LastBelow<T>(p)
template <typename T>
T FirstAbove(double p) {
  const T t = NearestOf<T>(p);
  return static_cast<double>(t) > p ? t : std::nextafter(t, std::numeric_limits<T>::infinity());
}
template <typename T>
T LastBelow(double p) {
  const T t = NearestOf<T>(p);
  return static_cast<double>(t) < p ? t : std::nextafter(t, -std::numeric_limits<T>::infinity());
}

// The State of a kernel whose value and slope share no work.
struct NoState {};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();

#endif  // ACTIVATIONS_PIECEWISE_INL_H_
