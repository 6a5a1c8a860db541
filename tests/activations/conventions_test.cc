// The library's conventions beyond the ULP bounds, on every SIMD target
// compiled in: the modes agree with each other bit for bit, and special
// values of the upstream gradient give what IEEE arithmetic on the exact
// derivative gives.
//
//  * forward_and_derivative returns the same f as forward and the same f' as
//    derivative, bit for bit (a user comparing the modes sees no difference);
//  * backward with g = NaN gives NaN, also where f'(x) = 0 (relu at x <= 0):
//    NaN in, NaN out;
//  * backward with g = +-inf gives +-inf (the sign of g f') wherever f'(x) is
//    a non-zero number in the element type, and 0 where it is exactly 0 (the
//    select convention of relu's backward, PyTorch's threshold_backward).

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/reference.h"
#include "gtest/gtest.h"
#include "hwy/tests/hwy_gtest.h"
#include "tests/activations/test_inputs.h"

namespace activations {
namespace {

template <typename T>
constexpr DType DTypeOf() {
  return sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
}

// Bitwise equality, treating every NaN as equal to every NaN.
template <typename T>
bool SameBits(T a, T b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <typename T>
std::vector<T> Run(const Call& call, const std::vector<T>& x, const std::vector<T>* g = nullptr,
                   std::vector<T>* derivative = nullptr) {
  std::vector<T> out(x.size());
  if (derivative != nullptr) derivative->resize(x.size());
  RunSerial(Job{call, DTypeOf<T>(), x.size(), x.data(), g ? g->data() : nullptr, out.data(),
                derivative ? derivative->data() : nullptr});
  return out;
}

// The parameter sets the tests sweep: defaults and a few others.
std::vector<Call> CallsOf(Mode mode, InputKind kind = InputKind::kX) {
  std::vector<Call> calls;
  for (const ActivationSpec& spec : Catalog()) {
    auto call = MakeCall(spec.name, {}, mode, kind);
    if (call.ok()) calls.push_back(*call);
  }
  for (const auto& [fn, params] :
       std::vector<std::pair<const char*, std::vector<std::pair<std::string_view, double>>>>{
           {"elu", {{"alpha", 0.5}}},
           {"leaky_relu", {{"negative_slope", 0}}},
           {"softplus", {{"beta", 0.3}, {"threshold", 5}}},
           {"swish", {{"beta", 1.7}}}}) {
    auto call = MakeCall(fn, params, mode, kind);
    if (call.ok()) calls.push_back(*call);
  }
  return calls;
}

std::string Label(const Call& call) {
  return std::string(GetSpec(call.id).name) + " " + std::string(ModeName(call.mode)) +
         (call.input_kind == InputKind::kOutput ? " (from y)" : "") +
         " p0=" + std::to_string(call.params[0]);
}

class ConventionsTest : public hwy::TestWithParamTarget {};

template <typename T>
void CheckForwardAndDerivativeMatchSingleModes() {
  const std::vector<T> x = test::TestInputs<T>();
  for (const Call& both : CallsOf(Mode::kForwardAndDerivative)) {
    Call forward = both, derivative = both;
    forward.mode = Mode::kForward;
    derivative.mode = Mode::kDerivative;
    std::vector<T> d_both;
    const std::vector<T> f_both = Run<T>(both, x, nullptr, &d_both);
    const std::vector<T> f = Run(forward, x);
    const std::vector<T> d = Run(derivative, x);
    int f_differ = 0, d_differ = 0;
    size_t first_f = 0, first_d = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameBits(f_both[i], f[i]) && f_differ++ == 0) first_f = i;
      if (!SameBits(d_both[i], d[i]) && d_differ++ == 0) first_d = i;
    }
    EXPECT_EQ(f_differ, 0) << Label(both) << " f differs from forward's, first at x="
                           << x[first_f] << ": " << f_both[first_f] << " vs " << f[first_f];
    EXPECT_EQ(d_differ, 0) << Label(both) << " f' differs from derivative's, first at x="
                           << x[first_d] << ": " << d_both[first_d] << " vs " << d[first_d];
  }
}

TEST_P(ConventionsTest, ForwardAndDerivativeIsBitIdenticalToForwardAndToDerivative) {
  CheckForwardAndDerivativeMatchSingleModes<float>();
  CheckForwardAndDerivativeMatchSingleModes<double>();
}

// Inputs for the backward conventions: a grid over [-30, 30] (where every
// f' is a normal number or exactly 0) plus the special values.
template <typename T>
std::vector<T> BackwardInputs() {
  std::vector<T> x = test::SpecialValues<T>();
  for (int i = 0; i <= 2400; ++i) x.push_back(T(-30 + 60.0 * i / 2400));
  return x;
}

template <typename T>
void CheckNanGradientGivesNan() {
  for (InputKind kind : {InputKind::kX, InputKind::kOutput}) {
    for (const Call& call : CallsOf(Mode::kBackward, kind)) {
      std::vector<T> x = BackwardInputs<T>();
      const std::vector<T> g(x.size(), std::numeric_limits<T>::quiet_NaN());
      const std::vector<T> out = Run(call, x, &g);
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_TRUE(std::isnan(out[i]))
            << Label(call) << " input=" << x[i] << " g=NaN gave " << out[i];
      }
    }
  }
}

TEST_P(ConventionsTest, NanGradientGivesNanEverywhere) {
  CheckNanGradientGivesNan<float>();
  CheckNanGradientGivesNan<double>();
}

template <typename T>
void CheckInfiniteGradient() {
  for (InputKind kind : {InputKind::kX, InputKind::kOutput}) {
    for (const Call& call : CallsOf(Mode::kBackward, kind)) {
      const UlpBounds& bounds = DTypeOf<T>() == DType::kFloat32 ? GetSpec(call.id).ulp_float32
                                                                 : GetSpec(call.id).ulp_float64;
      std::vector<T> x = BackwardInputs<T>();
      if (kind == InputKind::kOutput) {
        Call fwd = call;
        fwd.mode = Mode::kForward;
        fwd.input_kind = InputKind::kX;
        x = Run(fwd, x);
      }
      for (T g : {std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()}) {
        const std::vector<T> gs(x.size(), g);
        const std::vector<T> out = Run(call, x, &gs);
        int wrong = 0;
        for (size_t i = 0; i < x.size(); ++i) {
          if (std::isnan(x[i])) continue;
          const long double d = reference::Evaluate(call, x[i], 1).output;  // f'
          // Where f' is too small for T, or so close to a zero of f' that its
          // sign is within the stated absolute error, the sign is not defined
          // by the contract.
          const long double unsure = 4 * std::numeric_limits<T>::min() +
                                     bounds.derivative_near_zero_ulp_of_one *
                                         std::numeric_limits<T>::epsilon();
          if (d != 0 && std::fabs(d) < unsure) continue;
          const T want = d == 0 ? T(0) : (d > 0) == (g > 0) ? std::numeric_limits<T>::infinity()
                                                            : -std::numeric_limits<T>::infinity();
          if (!(out[i] == want) && wrong++ < 3) {
            ADD_FAILURE() << Label(call) << " input=" << x[i] << " g=" << g << " gave " << out[i]
                          << ", want " << want << " (f'=" << static_cast<double>(d) << ")";
          }
        }
        EXPECT_EQ(wrong, 0) << Label(call) << " g=" << g;
      }
    }
  }
}

TEST_P(ConventionsTest, InfiniteGradientGivesSignedInfinityOrZero) {
  CheckInfiniteGradient<float>();
  CheckInfiniteGradient<double>();
}

HWY_TARGET_INSTANTIATE_TEST_SUITE_P(ConventionsTest);

}  // namespace
}  // namespace activations
