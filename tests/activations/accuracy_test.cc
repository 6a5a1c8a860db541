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

using test::TestGradients;
using test::TestInputs;
using test::ToOutputs;

struct Worst {
  double ulp = 0;
  long double input = 0, want = 0;
  double got = 0;
};

template <typename T>
void CheckCall(const Call& call, const std::string& label) {
  const DType dtype = sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
  const double bound = MaxUlpError(call, dtype, ResultTensor::kOutput);
  const double bound2 = MaxUlpError(call, dtype, ResultTensor::kDerivative);
  std::vector<T> x = TestInputs<T>();
  ToOutputs(call, &x);
  const std::vector<T> g = TestGradients<T>(x.size());
  std::vector<T> out(x.size()), out2(x.size());
  Job job{call, sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64, x.size(), x.data(),
          g.data(), out.data(), out2.data()};
  RunSerial(job);

  Worst worst, worst2;
  const bool derivative_out = call.mode != Mode::kForward;
  for (size_t i = 0; i < x.size(); ++i) {
    const reference::Element want = reference::Evaluate(call, x[i], g[i]);
    auto check = [&](T got, long double w, bool is_derivative, Worst* worst_so_far) {
      // The spec's bound, with the contract's stated exceptions (near a zero
      // of f' in float64; subnormal results): see reference.h.
      const double err = reference::ContractUlpError<T>(
          call, got, w, x[i], call.mode == Mode::kBackward ? g[i] : 1, is_derivative);
      if (err > worst_so_far->ulp) *worst_so_far = {err, (long double)x[i], w, (double)got};
    };
    check(out[i], want.output, derivative_out && call.mode != Mode::kForwardAndDerivative,
          &worst);
    if (call.mode == Mode::kForwardAndDerivative) check(out2[i], want.derivative, true, &worst2);
  }
  EXPECT_LE(worst.ulp, bound) << label << ": worst at x=" << (double)worst.input
                              << " want " << (double)worst.want << " got " << worst.got;
  EXPECT_LE(worst2.ulp, bound2) << label << " (derivative): worst at x=" << (double)worst2.input
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
