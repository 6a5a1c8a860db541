// Per-target helpers for the piecewise activations (relu6, hardtanh,
// hardsigmoid, hardswish, softshrink, hardshrink, threshold): comparisons of
// x against a breakpoint that is a float64 parameter, exact in every element
// type, and the slopes of those whose f' is 0 or 1 (FlatOrUnitSlope,
// ShrinkSlope). Their backward selects g or 0 (or scales g) in Slope; the
// driver (kernels.cc) gives NaN for a NaN g and 0 for g = +-inf where f' = 0,
// so the kernels need no special case for either.

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

// The slopes of a kernel whose f' is 0 on its flat pieces and 1 elsewhere
// (threshold, hardshrink, softshrink): its State is the mask `flat`, and
// Slope selects, not multiplies: g (not g * 1) or 0, 1 or 0 for Unit g.
// A kernel derives from it and adds Prepare (the mask) and Value.
template <class D>
struct FlatOrUnitSlope {
  using State = hn::Mask<D>;  // where f' = 0
  HWY_INLINE V<D> Slope(const State& flat, V<D>, Unit) const {
    return hn::IfThenZeroElse(flat, hn::Set(D(), 1));
  }
  HWY_INLINE V<D> Slope(const State& flat, V<D>, V<D> g) const {
    return hn::IfThenZeroElse(flat, g);
  }
};

// The shrink functions (hardshrink, softshrink): f' = 0 on [-lambd, lambd]
// and 1 outside, and y = 0 exactly on [-lambd, lambd], so f' also comes
// from the output. A kernel derives from it and adds Value.
template <class D>
struct ShrinkSlope : FlatOrUnitSlope<D> {
  using State = hn::Mask<D>;  // |x| <= lambd
  V<D> outside;  // |x| > lambd <=> |x| >= outside
  explicit ShrinkSlope(double lambd)
      : outside(hn::Set(D(), FirstAbove<hn::TFromD<D>>(lambd))) {}
  HWY_INLINE State Prepare(V<D> x) const { return hn::Lt(hn::Abs(x), outside); }
  template <class G>
  HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const {
    return this->Slope(hn::Eq(y, hn::Zero(D())), y, g);
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();

#endif  // ACTIVATIONS_PIECEWISE_INL_H_
