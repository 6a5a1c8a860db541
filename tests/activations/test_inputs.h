// Input grids shared by the activation tests: dense near 0, log-spaced out to
// the largest finite values, every special value, and random bit patterns.
#ifndef TESTS_ACTIVATIONS_TEST_INPUTS_H_
#define TESTS_ACTIVATIONS_TEST_INPUTS_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "activations/reference.h"

namespace activations::test {

template <typename T>
std::vector<T> SpecialValues() {
  using L = std::numeric_limits<T>;
  std::vector<T> v = {T(0), -T(0), L::infinity(), -L::infinity(), L::quiet_NaN(),
                      L::denorm_min(), -L::denorm_min(), L::min(), -L::min(),
                      L::max(), L::lowest(), L::epsilon(), T(1), T(-1), T(0.5), T(-0.5)};
  // The saturation and underflow regions of exp-based functions.
  for (double x : {10.0, 17.0, 20.0, 30.0, 44.0, 50.0, 87.0, 87.5, 88.7, 89.0, 90.0, 91.0,
                   100.0, 103.9, 104.0, 110.0, 700.0, 708.0, 709.7, 710.0, 745.0, 746.0, 1000.0}) {
    v.push_back(T(x));
    v.push_back(T(-x));
  }
  return v;
}

// Dense grid over [-span, span], log-spaced magnitudes from denorm_min to
// max, and random finite bit patterns and moderate values: about 80k values.
template <typename T>
std::vector<T> TestInputs(double span = 20.0, int dense = 8001, int random = 30000) {
  std::vector<T> v = SpecialValues<T>();
  for (int i = 0; i < dense; ++i) v.push_back(T(-span + 2 * span * i / (dense - 1)));
  // Where exp(x) leaves the normal range of T, so that e^x or alpha e^x is
  // subnormal while a product with it (g alpha e^x, x e^x) is still normal:
  // [-105, -80] for float, [-746, -700] for double, both signs.
  const double edge = sizeof(T) == 4 ? 80 : 700, width = sizeof(T) == 4 ? 25 : 46;
  for (int i = 0; i < 2500; ++i) {
    v.push_back(T(-edge - width * i / 2499));
    v.push_back(T(edge + width * i / 2499));
  }
  const double lo = std::log(double(std::numeric_limits<T>::denorm_min()));
  const double hi = std::log(double(std::numeric_limits<T>::max()));
  for (int i = 0; i < 4000; ++i) {
    const T m = T(std::exp(lo + (hi - lo) * i / 3999));
    v.push_back(m);
    v.push_back(-m);
  }
  std::mt19937_64 rng(42);
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  for (int i = 0; i < random; ++i) {
    const U bits = static_cast<U>(rng());
    T x;
    std::memcpy(&x, &bits, sizeof(x));
    if (std::isfinite(x)) v.push_back(x);
    // And random values of moderate size, where most of the curve is.
    v.push_back(T(std::uniform_real_distribution<double>(-40, 40)(rng)));
  }
  return v;
}

// For a call from the output: the inputs x become the outputs y = f(x),
// rounded to T, as a caller would hold them.
template <typename T>
void ToOutputs(const Call& call, std::vector<T>* x) {
  if (call.input_kind != InputKind::kOutput) return;
  Call fwd = call;
  fwd.mode = Mode::kForward;
  fwd.input_kind = InputKind::kX;
  for (T& v : *x) v = static_cast<T>(reference::Forward(fwd, v));
}

// Upstream gradients: half in [-3, 3], half of magnitude 1e-3 to 1e4 (a
// large g makes g f'(x) normal where f'(x) alone is subnormal: elu's
// g alpha e^x at x < -87 in float32).
template <typename T>
std::vector<T> TestGradients(size_t n) {
  std::vector<T> g(n);
  std::mt19937 rng(7);
  for (size_t i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      g[i] = T(std::uniform_real_distribution<double>(-3, 3)(rng));
    } else {
      const double m = std::exp(std::uniform_real_distribution<double>(-6.9, 9.2)(rng));
      g[i] = T(std::bernoulli_distribution(0.5)(rng) ? m : -m);
    }
  }
  return g;
}

}  // namespace activations::test

#endif  // TESTS_ACTIVATIONS_TEST_INPUTS_H_
