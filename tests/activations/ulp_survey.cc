// ulp_survey: the measured error of every function x mode x element type on
// every SIMD target compiled in, over many more inputs than the unit test:
// the source of docs/accuracy.md's sampled table and of the bounds in the
// specs. Not a test (it has no threshold); a tool built beside the tests.
//
//   activations_ulp_survey [--random=N] [--functions=sigmoid,tanh] [--markdown]
//
// Inputs per element type: tests/activations/test_inputs.h's grids with N
// random bit patterns and N random values in [-40, 40] (default 300000), plus
// N values in [-4, 4] and 20001 points within 0.5 of each zero of f' (where
// the derivative's relative error is hardest to keep). Parameters: defaults
// and the accuracy test's non-default set. Errors are counted as the contract
// counts them (reference::ContractUlpError, with the stated exceptions), and
// the largest over all targets and parameter sets is reported with its
// target and input. The reference is evaluated once per input and reused for
// every target.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/reference.h"
#include "hwy/targets.h"
#include "tests/activations/test_inputs.h"

namespace activations {
namespace {

struct Options {
  int random = 300000;
  std::vector<std::string> functions;
  bool markdown = false;
};

struct Worst {
  double ulp = 0;
  double input = 0;
  double grad = 0;
  double got = 0;
  long double want = 0;
  std::string target;
  std::string params;
};

// One row of the table: a function, mode and input kind.
struct RowKey {
  std::string function;
  std::string mode;
  bool operator<(const RowKey& o) const {
    return function != o.function ? function < o.function : mode < o.mode;
  }
};

std::string ModeLabel(Mode mode, InputKind kind) {
  std::string s(ModeName(mode));
  if (kind == InputKind::kOutput) s += " (y)";
  return s;
}

// Zeros of f' at default parameters, found on the reference: sign changes of
// f' on a fine grid of [-5, 5], refined by bisection.
std::vector<double> DerivativeZeros(const Call& call) {
  std::vector<double> zeros;
  const int n = 10000;
  auto fp = [&](long double x) { return reference::Derivative(call, x); };
  for (int i = 0; i < n; ++i) {
    long double a = -5 + 10.0L * i / n, b = -5 + 10.0L * (i + 1) / n;
    if ((fp(a) < 0) != (fp(b) < 0)) {
      for (int k = 0; k < 80; ++k) {
        const long double m = (a + b) / 2;
        ((fp(a) < 0) == (fp(m) < 0) ? a : b) = m;
      }
      zeros.push_back(static_cast<double>(a));
    }
  }
  return zeros;
}

template <typename T>
std::vector<T> Inputs(const Options& opt, const std::vector<double>& zeros) {
  std::vector<T> x = test::TestInputs<T>(20.0, 8001, opt.random);
  std::mt19937_64 rng(1234);
  for (int i = 0; i < opt.random; ++i) {
    x.push_back(T(std::uniform_real_distribution<double>(-4, 4)(rng)));
  }
  for (double z : zeros) {
    for (int i = -10000; i <= 10000; ++i) x.push_back(T(z + 0.5 * i / 10000));
    // And the nearest representable neighbours of the zero itself.
    T v = T(z);
    for (int i = 0; i < 50; ++i) {
      x.push_back(v);
      v = std::nextafter(v, std::numeric_limits<T>::infinity());
    }
    v = T(z);
    for (int i = 0; i < 50; ++i) {
      v = std::nextafter(v, -std::numeric_limits<T>::infinity());
      x.push_back(v);
    }
  }
  return x;
}

template <typename T>
void Survey(const Options& opt, const Call& call, const std::string& params,
            const std::vector<double>& zeros, std::map<RowKey, Worst>* table) {
  const DType dtype = sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
  std::vector<T> x = Inputs<T>(opt, zeros);
  test::ToOutputs(call, &x);
  const std::vector<T> g = test::TestGradients<T>(x.size());
  std::vector<reference::Element> want(x.size());
  for (size_t i = 0; i < x.size(); ++i) want[i] = reference::Evaluate(call, x[i], g[i]);

  const std::string function(GetSpec(call.id).name);
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    // ULP_SURVEY_TARGET=AVX3 (a developer's aid): one target only.
    const char* only = std::getenv("ULP_SURVEY_TARGET");
    if (only != nullptr && std::string_view(only) != hwy::TargetName(target)) continue;
    hwy::SetSupportedTargetsForTest(target);
    std::vector<T> out(x.size()), out2(x.size());
    RunSerial(Job{call, dtype, x.size(), x.data(), g.data(), out.data(), out2.data()});
    auto note = [&](const std::string& mode, T got, long double w, size_t i, bool is_derivative) {
      const double err = reference::ContractUlpError<T>(
          call, got, w, x[i], call.mode == Mode::kBackward ? g[i] : 1, is_derivative);
      Worst& worst = (*table)[{function, mode + (sizeof(T) == 4 ? " f32" : " f64")}];
      if (err > worst.ulp) {
        worst = {err, static_cast<double>(x[i]), static_cast<double>(g[i]),
                 static_cast<double>(got), w, hwy::TargetName(target), params};
      }
    };
    const std::string mode = ModeLabel(call.mode, call.input_kind);
    for (size_t i = 0; i < x.size(); ++i) {
      if (call.mode == Mode::kForwardAndDerivative) {
        note("forward", out[i], want[i].output, i, false);
        note("derivative", out2[i], want[i].derivative, i, true);
      } else {
        note(mode, out[i], want[i].output, i, call.mode != Mode::kForward);
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

int Main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.rfind("--random=", 0) == 0) {
      opt.random = std::atoi(argv[i] + 9);
    } else if (a.rfind("--functions=", 0) == 0) {
      std::string list(a.substr(12));
      size_t start = 0;
      while (start <= list.size()) {
        const size_t comma = list.find(',', start);
        opt.functions.push_back(list.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (a == "--markdown") {
      opt.markdown = true;
    } else {
      std::fprintf(stderr, "usage: %s [--random=N] [--functions=a,b] [--markdown]\n", argv[0]);
      return 2;
    }
  }
  using Params = std::vector<std::pair<std::string_view, double>>;
  const std::map<std::string, std::vector<Params>> kNonDefault = {
      {"leaky_relu", {{{"negative_slope", 0.2}}}},
      {"elu", {{{"alpha", 0.5}}}},
      {"softplus", {{{"beta", 0.3}, {"threshold", 5}}, {{"beta", 7.5}}}},
      {"swish", {{{"beta", 1.7}}}},
  };
  std::map<RowKey, Worst> table;
  std::vector<std::string> order;
  for (const ActivationSpec& spec : Catalog()) {
    // softmax's lines: the accuracy test's LineWiseEntries.
    if (!spec.elementwise) continue;
    const std::string name(spec.name);
    if (!opt.functions.empty() &&
        std::find(opt.functions.begin(), opt.functions.end(), name) == opt.functions.end()) {
      continue;
    }
    order.push_back(name);
    std::vector<Params> param_sets = {{}};
    if (auto it = kNonDefault.find(name); it != kNonDefault.end()) {
      param_sets.insert(param_sets.end(), it->second.begin(), it->second.end());
    }
    for (const Params& params : param_sets) {
      std::string label;
      for (const auto& [k, v] : params) label += std::string(k) + "=" + std::to_string(v) + " ";
      const Call probe = *MakeCall(spec.name, params, Mode::kDerivative);
      const std::vector<double> zeros = DerivativeZeros(probe);
      // forward_and_derivative is forward and derivative bit for bit
      // (conventions_test): one run gives both rows.
      for (const auto& [mode, kind] : {std::pair{Mode::kForwardAndDerivative, InputKind::kX},
                                       std::pair{Mode::kBackward, InputKind::kX},
                                       std::pair{Mode::kDerivative, InputKind::kOutput},
                                       std::pair{Mode::kBackward, InputKind::kOutput}}) {
        auto call = MakeCall(spec.name, params, mode, kind);
        if (!call.ok()) continue;
        Survey<float>(opt, *call, label, zeros, &table);
        Survey<double>(opt, *call, label, zeros, &table);
      }
      std::fprintf(stderr, "done: %s %s\n", name.c_str(), label.c_str());
    }
  }
  if (opt.markdown) {
    std::printf("| function | mode | float32 max ULP | target, x | float64 max ULP | target, x |\n");
    std::printf("|---|---|---:|---|---:|---|\n");
  }
  const char* kModes[] = {"forward", "derivative", "derivative (y)", "backward", "backward (y)"};
  for (const std::string& fn : order) {
    for (const char* mode : kModes) {
      auto f32 = table.find({fn, std::string(mode) + " f32"});
      auto f64 = table.find({fn, std::string(mode) + " f64"});
      if (f32 == table.end() && f64 == table.end()) continue;
      auto cell = [&](auto it) {
        if (it == table.end()) return std::string("- | -");
        char extra[200] = "";
        if (!opt.markdown && std::getenv("ULP_SURVEY_VERBOSE")) {
          std::snprintf(extra, sizeof extra, " g=%.9g got=%.9g want=%.9Lg", it->second.grad,
                        it->second.got, it->second.want);
        }
        char buf[400];
        std::snprintf(buf, sizeof buf, "%.2f | %s, %.9g%s%s%s", it->second.ulp,
                      it->second.target.c_str(), it->second.input, extra,
                      it->second.params.empty() ? "" : ", ", it->second.params.c_str());
        return std::string(buf);
      };
      std::printf(opt.markdown ? "| %s | %s | %s | %s |\n" : "%-10s %-16s %s || %s\n",
                  fn.c_str(), mode, cell(f32).c_str(), cell(f64).c_str());
    }
  }
  return 0;
}

}  // namespace
}  // namespace activations

int main(int argc, char** argv) { return activations::Main(argc, argv); }
