// SIMD kernels vs the long-double reference, in ULP, for every activation,
// mode, input kind and element type, on every SIMD target compiled in.

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/reference.h"
#include "gtest/gtest.h"
#include "hwy/targets.h"
#include "hwy/tests/hwy_gtest.h"
#include "tests/activations/test_inputs.h"

namespace activations {
namespace {

using test::TestInputs;

struct Worst {
  double ulp = 0;
  long double input = 0, want = 0;
  double got = 0;
};

// Error allowed for one element: the spec's ULP bound. Near a zero of f'
// (the non-monotonic functions, in float64, for |x| < 4 where |f'| < 1/16)
// the true derivative is a difference of O(1) terms and no working precision
// gives a relative bound; there the bound is absolute: kRootSlack ULP of 1
// (times |g| in backward). float32 needs no slack (computed in float64).
constexpr double kRootSlack = 4;

template <typename T>
bool HasDerivativeZero(const ActivationSpec& spec) {
  return !spec.properties.monotonic && sizeof(T) == 8;
}

template <typename T>
void CheckCall(const Call& call, const std::string& label) {
  const ActivationSpec& spec = GetSpec(call.id);
  const double bound = MaxUlpError(call, sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64);
  std::vector<T> x = TestInputs<T>();
  if (call.input_kind == InputKind::kOutput) {
    // Inputs are outputs y = f(x), rounded to T, as a caller would hold them.
    Call fwd = call;
    fwd.mode = Mode::kForward;
    fwd.input_kind = InputKind::kX;
    for (T& v : x) v = static_cast<T>(reference::Forward(fwd, v));
  }
  std::vector<T> g(x.size());
  std::mt19937 rng(7);
  for (T& v : g) v = T(std::uniform_real_distribution<double>(-3, 3)(rng));
  std::vector<T> out(x.size()), out2(x.size());
  Job job{call, sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64, x.size(), x.data(),
          g.data(), out.data(), out2.data()};
  RunSerial(job);

  Worst worst, worst2;
  const bool derivative_out = call.mode != Mode::kForward;
  const long double slack_unit = std::numeric_limits<T>::epsilon() * kRootSlack;
  for (size_t i = 0; i < x.size(); ++i) {
    const reference::Element want = reference::Evaluate(call, x[i], g[i]);
    auto check = [&](T got, long double w, bool is_derivative, Worst* worst_so_far) {
      double err = reference::UlpError<T>(got, w);
      const long double scale = call.mode == Mode::kBackward ? std::fabs((long double)g[i]) : 1;
      if (is_derivative && HasDerivativeZero<T>(spec) && std::isfinite(err) &&
          std::fabs((long double)x[i]) < 4 && std::fabs(w) < scale / 16) {
        const long double abs_err = std::fabs((long double)got - w);
        if (abs_err <= slack_unit * scale) err = 0;
      }
      // A kernel's subnormal results may differ by a few denorm_min steps
      // more than the bound (the bound is stated for normal results).
      if (std::fabs(w) < std::numeric_limits<T>::min() && err <= bound + 2) err = 0;
      if (err > worst_so_far->ulp) *worst_so_far = {err, (long double)x[i], w, (double)got};
    };
    check(out[i], want.output, derivative_out && call.mode != Mode::kForwardAndDerivative,
          &worst);
    if (call.mode == Mode::kForwardAndDerivative) check(out2[i], want.derivative, true, &worst2);
  }
  EXPECT_LE(worst.ulp, bound) << label << ": worst at x=" << (double)worst.input
                              << " want " << (double)worst.want << " got " << worst.got;
  EXPECT_LE(worst2.ulp, bound) << label << " (derivative): worst at x=" << (double)worst2.input
                               << " want " << (double)worst2.want << " got " << worst2.got;
  if (std::getenv("ACTIVATIONS_PRINT_ULP")) {
    std::printf("%-44s %-6s max %.3g ULP (x=%.9Lg)%s\n", label.c_str(), sizeof(T) == 4 ? "f32" : "f64",
                std::max(worst.ulp, worst2.ulp), worst.ulp >= worst2.ulp ? worst.input : worst2.input,
                "");
  }
}

std::vector<Call> CallsFor(const ActivationSpec& spec) {
  std::vector<Call> calls;
  for (Mode mode : {Mode::kForward, Mode::kDerivative, Mode::kForwardAndDerivative,
                    Mode::kBackward}) {
    for (InputKind kind : {InputKind::kX, InputKind::kOutput}) {
      auto call = MakeCall(spec.name, {}, mode, kind);
      if (call.ok()) calls.push_back(*call);
    }
  }
  return calls;
}

std::string Label(const ActivationSpec& spec, const Call& call) {
  return std::string(spec.name) + " " + std::string(ModeName(call.mode)) +
         (call.input_kind == InputKind::kOutput ? " (from y)" : "");
}

class AccuracyTest : public hwy::TestWithParamTarget {};

TEST_P(AccuracyTest, EveryActivationModeAndType) {
  for (const ActivationSpec& spec : Catalog()) {
    for (const Call& call : CallsFor(spec)) {
      CheckCall<float>(call, Label(spec, call));
      CheckCall<double>(call, Label(spec, call));
    }
  }
}

// Non-default parameters, including the ends of their ranges.
TEST_P(AccuracyTest, NonDefaultParameters) {
  struct Case {
    const char* function;
    std::vector<std::pair<std::string_view, double>> params;
  };
  const std::vector<Case> cases = {
      {"leaky_relu", {{"negative_slope", 0.2}}},  {"leaky_relu", {{"negative_slope", 0}}},
      {"elu", {{"alpha", 0.5}}},                   {"elu", {{"alpha", 0}}},
      {"softplus", {{"beta", 0.3}, {"threshold", 5}}}, {"softplus", {{"beta", 7.5}}},
      {"swish", {{"beta", 1.7}}},                  {"swish", {{"beta", 0}}},
  };
  for (const Case& c : cases) {
    for (Mode mode : {Mode::kForward, Mode::kForwardAndDerivative, Mode::kBackward}) {
      auto call = MakeCall(c.function, c.params, mode);
      ASSERT_TRUE(call.ok()) << call.status();
      const std::string label = std::string(c.function) + " " + std::string(ModeName(mode)) +
                                " p0=" + std::to_string(call->params[0]);
      CheckCall<float>(*call, label);
      CheckCall<double>(*call, label);
    }
  }
}

HWY_TARGET_INSTANTIATE_TEST_SUITE_P(AccuracyTest);

}  // namespace
}  // namespace activations
