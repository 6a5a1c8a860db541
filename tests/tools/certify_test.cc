// The accuracy certificate checks what it says it checks: every input once,
// the worst error and its input as an independent scan finds them, the
// inputs over a bound counted, each tensor against its own bound, the same
// rows whatever the thread count; and its report lands between its markers.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/half_float.h"
#include "activations/reference.h"
#include "gtest/gtest.h"
#include "tools/certify.h"
#include "tools/certify_report.h"

namespace activations::certify {
namespace {

double NoError(const Call&, DType, ResultTensor) { return 0; }

const Row* FindRow(const std::vector<Row>& rows, const std::string& function,
                   const std::string& params, const std::string& mode) {
  for (const Row& r : rows) {
    if (r.function == function && r.params == params && r.mode == mode) return &r;
  }
  return nullptr;
}

TEST(CertifyTest, RowsForEveryModeTensorAndParameterSet) {
  Plan plan;
  plan.dtype = DType::kBFloat16;
  plan.functions = {"sigmoid", "celu", "relu6"};
  const auto rows = certify::Run(plan);
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> got;
  for (const Row& r : *rows) got.push_back(r.function + " [" + r.params + "] " + r.mode);
  // Catalogue order; from-y rows where the spec says derivative_from_output;
  // a non-default row for a function with parameters.
  std::vector<std::string> want;
  for (const ActivationSpec& spec : Catalog()) {
    const std::string name(spec.name);
    if (name != "sigmoid" && name != "celu" && name != "relu6") continue;
    std::vector<std::string> sets = {""};
    if (name == "celu") sets.push_back("alpha=1.37");
    for (const std::string& set : sets) {
      for (const char* mode : {"forward", "derivative", "forward_and_derivative: f",
                               "forward_and_derivative: f'", "backward"}) {
        want.push_back(name + " [" + set + "] " + mode);
      }
      if (spec.derivative_from_output) {
        want.push_back(name + " [" + set + "] derivative (from y)");
        want.push_back(name + " [" + set + "] backward (from y)");
      }
    }
  }
  EXPECT_EQ(got, want);
  for (const Row& r : *rows) {
    EXPECT_EQ(r.checked, 65536u) << r.function << " " << r.mode;
  }
}

TEST(CertifyTest, EveryStrideThFloat32PatternOnce) {
  Plan plan;
  plan.dtype = DType::kFloat32;
  plan.stride = 1u << 22;  // 1024 patterns: 0, 2^22, ..., 2^32 - 2^22
  plan.functions = {"tanh"};
  plan.non_default = false;
  const auto rows = certify::Run(plan);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_FALSE(rows->empty());
  for (const Row& r : *rows) {
    EXPECT_EQ(r.checked, 1024u) << r.mode;
    std::uint32_t bits;
    const float worst = static_cast<float>(r.worst_input);
    std::memcpy(&bits, &worst, 4);
    if (r.mode.find("from y") == std::string::npos) {
      EXPECT_EQ(bits % plan.stride, 0u) << r.mode << ": worst input " << r.worst_input;
    }
  }
  plan.dtype = DType::kFloat64;
  plan.samples = 1000;
  const auto f64 = certify::Run(plan);
  ASSERT_TRUE(f64.ok()) << f64.status();
  for (const Row& r : *f64) EXPECT_EQ(r.checked, 2000u) << r.mode;
}

// The worst error, its input (the first of equals) and the count over a
// bound, recomputed here by a plain scan of every bfloat16 input.
TEST(CertifyTest, WorstAndOverBoundMatchAnIndependentScan) {
  Plan plan;
  plan.dtype = DType::kBFloat16;
  plan.functions = {"sigmoid", "celu"};
  plan.non_default = false;
  plan.bound = &NoError;  // every inexact result counts
  const auto rows = certify::Run(plan);
  ASSERT_TRUE(rows.ok()) << rows.status();

  std::vector<std::uint16_t> x(65536);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::uint16_t>(i);
  struct Case {
    const char* function;
    const char* mode;
    Mode call_mode;
    InputKind kind;
  };
  for (const Case& c : {Case{"sigmoid", "forward", Mode::kForward, InputKind::kX},
                        Case{"sigmoid", "derivative", Mode::kDerivative, InputKind::kX},
                        Case{"celu", "forward", Mode::kForward, InputKind::kX},
                        Case{"celu", "derivative", Mode::kDerivative, InputKind::kX}}) {
    SCOPED_TRACE(std::string(c.function) + " " + c.mode);
    const Call call = *MakeCall(c.function, {}, c.call_mode, c.kind);
    std::vector<std::uint16_t> out(x.size());
    RunSerial(Job{call, plan.dtype, x.size(), x.data(), nullptr, out.data(), nullptr});
    double worst = -1, worst_x = 0;
    std::uint64_t over = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double xi = BFloat16ToFloat(x[i]);
      const double got = BFloat16ToFloat(out[i]);
      const double err = reference::ContractUlpError(plan.dtype, call, got,
                                                     reference::Evaluate(call, xi).output);
      if (err > 0) ++over;
      if (err > worst) {
        worst = err;
        worst_x = xi;
      }
    }
    const Row* row = FindRow(*rows, c.function, "", c.mode);
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(row->max_ulp, worst);
    EXPECT_EQ(row->over_bound, over);
    EXPECT_GT(over, 0u);  // the scan found inexact results to count
    // The same input (NaN never is the worst: NaN in, NaN out is exact).
    EXPECT_EQ(row->worst_input, worst_x);
    EXPECT_EQ(row->bound, 0);
  }
}

TEST(CertifyTest, EachTensorAgainstItsOwnCatalogueBound) {
  Plan plan;
  plan.dtype = DType::kFloat16;
  plan.functions = {"gelu"};
  plan.non_default = false;
  const auto rows = certify::Run(plan);
  ASSERT_TRUE(rows.ok()) << rows.status();
  const Call both = *MakeCall("gelu", {}, Mode::kForwardAndDerivative);
  const Row* f = FindRow(*rows, "gelu", "", "forward_and_derivative: f");
  const Row* df = FindRow(*rows, "gelu", "", "forward_and_derivative: f'");
  ASSERT_NE(f, nullptr);
  ASSERT_NE(df, nullptr);
  EXPECT_EQ(f->bound, MaxUlpError(both, plan.dtype, ResultTensor::kOutput));
  EXPECT_EQ(df->bound, MaxUlpError(both, plan.dtype, ResultTensor::kDerivative));
  // The library meets its contract: nothing over the catalogue's bounds.
  for (const Row& r : *rows) EXPECT_EQ(r.over_bound, 0u) << r.mode << ": " << r.max_ulp;
}

TEST(CertifyTest, SameRowsWhateverTheThreadCount) {
  Plan plan;
  plan.dtype = DType::kFloat32;
  plan.stride = 65537;
  plan.functions = {"silu", "softsign"};
  plan.threads = 1;
  const auto one = certify::Run(plan);
  plan.threads = 2;
  const auto two = certify::Run(plan);
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_EQ(one->size(), two->size());
  for (std::size_t i = 0; i < one->size(); ++i) {
    const Row &a = (*one)[i], &b = (*two)[i];
    SCOPED_TRACE(a.function + " " + a.params + " " + a.mode);
    EXPECT_EQ(a.mode, b.mode);
    EXPECT_EQ(a.max_ulp, b.max_ulp);
    EXPECT_EQ(std::memcmp(&a.worst_input, &b.worst_input, sizeof(double)), 0);
    EXPECT_EQ(a.checked, b.checked);
    EXPECT_EQ(a.over_bound, b.over_bound);
  }
}

TEST(CertifyTest, UnknownOrLineWiseFunctionIsRefused) {
  Plan plan;
  plan.dtype = DType::kBFloat16;
  plan.functions = {"sigmoid", "sigmod"};
  auto rows = certify::Run(plan);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("'sigmod' is not in the catalogue"), std::string::npos)
      << rows.status();
  EXPECT_NE(rows.status().message().find("hardswish"), std::string::npos) << rows.status();
  plan.functions = {"softmax"};
  rows = certify::Run(plan);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("not elementwise"), std::string::npos)
      << rows.status();
}

TEST(CertifyReportTest, TableNamesTheRunAndHasALinePerRow) {
  Plan plan;
  plan.dtype = DType::kFloat32;
  plan.stride = 16411;
  Row r;
  r.function = "celu";
  r.params = "alpha=1.37";
  r.mode = "forward_and_derivative: f'";
  r.max_ulp = 0.5;
  r.worst_input = -3.25;
  r.bound = 1;
  std::vector<Row> rows = {r, r};
  rows[1].params = "";
  const std::string table = MarkdownTable(plan, rows, 61.2, "certify --stride=16411", "AVX2");
  EXPECT_EQ(table.rfind("**float32: every 16411th bit pattern**, on AVX2, in 61 s "
                        "(certify --stride=16411).", 0),
            0u)
      << table;
  EXPECT_NE(table.find("| celu | alpha=1.37 | forward_and_derivative: f' | 0.5 | -3.25 | 1 | 0 |\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| celu | defaults | forward_and_derivative: f' |"), std::string::npos);
  std::size_t lines = 0;
  for (char ch : table) lines += ch == '\n';
  EXPECT_EQ(lines, 2u + 2u + rows.size());  // heading, blank, two header lines
  plan.stride = 1;
  EXPECT_NE(MarkdownTable(plan, {}, 1, "certify", "AVX2").find("every one of the 2^32 inputs"),
            std::string::npos);
}

TEST(CertifyReportTest, ReplacesOnlyItsSection) {
  const std::string doc =
      "# Accuracy\n\n<!-- certify:float32:begin -->\nold f32\n<!-- certify:float32:end -->\n"
      "between\n<!-- certify:float16:begin -->\nold f16\n<!-- certify:float16:end -->\nend\n";
  EXPECT_EQ(ReplaceSection(doc, "float16", "new\ntable\n"),
            "# Accuracy\n\n<!-- certify:float32:begin -->\nold f32\n<!-- certify:float32:end -->\n"
            "between\n<!-- certify:float16:begin -->\nnew\ntable\n<!-- certify:float16:end -->\n"
            "end\n");
  // Replacing twice gives the same text as once.
  const std::string once = ReplaceSection(doc, "float32", "x\n");
  EXPECT_EQ(ReplaceSection(once, "float32", "x\n"), once);
  // No section yet (or only an end marker before a begin): appended.
  EXPECT_EQ(ReplaceSection("text", "bfloat16", "t\n"),
            "text\n\n<!-- certify:bfloat16:begin -->\nt\n<!-- certify:bfloat16:end -->\n");
  EXPECT_EQ(ReplaceSection("<!-- certify:x:end -->\n<!-- certify:x:begin -->\n", "x", "t\n"),
            "<!-- certify:x:end -->\n<!-- certify:x:begin -->\n\n<!-- certify:x:begin -->\nt\n"
            "<!-- certify:x:end -->\n");
}

}  // namespace
}  // namespace activations::certify
