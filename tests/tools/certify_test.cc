// The accuracy certificate checks what it says it checks: every input once,
// the worst error and its input as an independent scan finds them, the
// inputs over a bound counted, each tensor against its own bound, the same
// rows whatever the thread count; and its report lands between its markers.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/half_float.h"
#include "activations/reference.h"
#include "gtest/gtest.h"
#include "tools/certify.h"
#include "tools/certify_partial.h"
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

// The rows of a float32 run over every function, recomputed here as the
// certificate first computed them: every element of every row through
// reference::Evaluate in the row's own mode and reference::ContractUlpError,
// no shared references, no upper bound settling elements. Worst, its input
// (the first of equals), count over the bound: the same, whatever the
// bound (0: every inexact element counts; 1; the catalogue's).
double ZeroBound(const Call&, DType, ResultTensor) { return 0; }
double OneUlp(const Call&, DType, ResultTensor) { return 1; }

TEST(CertifyTest, Float32RowsMatchAPlainScan) {
  for (auto bound : {&ZeroBound, &OneUlp, &MaxUlpError}) {
    Plan plan;
    plan.dtype = DType::kFloat32;
    plan.stride = 1u << 19 | 1;  // 8192 patterns over every binade, both signs
    plan.non_default = false;
    plan.bound = bound;
    const auto rows = certify::Run(plan);
    ASSERT_TRUE(rows.ok()) << rows.status();
    const std::uint64_t n = InputCount(plan);
    std::vector<float> x(n), g(n), y(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      x[i] = static_cast<float>(InputAt(plan, i));
      g[i] = static_cast<float>(GradientAt(i));
    }
    std::size_t next = 0;
    for (const ActivationSpec& spec : Catalog()) {
      if (!spec.elementwise) continue;
      const std::string name(spec.name);
      for (std::uint64_t i = 0; i < n; ++i) {
        const Call forward = *MakeCall(name, {}, Mode::kForward);
        y[i] = static_cast<float>(static_cast<double>(reference::Evaluate(forward, x[i]).output));
      }
      struct Case {
        const char* mode;
        Mode call_mode;
        InputKind kind;
        bool second;  // forward_and_derivative's f'
      };
      std::vector<Case> cases = {{"forward", Mode::kForward, InputKind::kX, false},
                                 {"derivative", Mode::kDerivative, InputKind::kX, false},
                                 {"forward_and_derivative: f", Mode::kForwardAndDerivative,
                                  InputKind::kX, false},
                                 {"forward_and_derivative: f'", Mode::kForwardAndDerivative,
                                  InputKind::kX, true},
                                 {"backward", Mode::kBackward, InputKind::kX, false}};
      if (spec.derivative_from_output) {
        cases.push_back({"derivative (from y)", Mode::kDerivative, InputKind::kOutput, false});
        cases.push_back({"backward (from y)", Mode::kBackward, InputKind::kOutput, false});
      }
      for (const Case& c : cases) {
        SCOPED_TRACE(name + " " + c.mode);
        const Call call = *MakeCall(name, {}, c.call_mode, c.kind);
        const std::vector<float>& in = c.kind == InputKind::kOutput ? y : x;
        std::vector<float> out(n), out2(n);
        RunSerial(Job{call, plan.dtype, n, in.data(), g.data(), out.data(), out2.data()});
        const double b = bound(call, plan.dtype,
                               c.second ? ResultTensor::kDerivative : ResultTensor::kOutput);
        const bool backward = c.call_mode == Mode::kBackward;
        double worst = -1, worst_in = 0;
        std::uint64_t over = 0;
        for (std::uint64_t i = 0; i < n; ++i) {
          const double grad = backward ? g[i] : 1.0;
          const reference::Element e = reference::Evaluate(call, in[i], grad);
          const float got = c.second ? out2[i] : out[i];
          const double err = reference::ContractUlpError<float>(
              call, got, c.second ? e.derivative : e.output, in[i], grad,
              c.second || (c.call_mode != Mode::kForward &&
                           c.call_mode != Mode::kForwardAndDerivative));
          if (err > b) ++over;
          if (err > worst) {
            worst = err;
            worst_in = in[i];
          }
        }
        ASSERT_LT(next, rows->size());
        const Row& row = (*rows)[next++];
        EXPECT_EQ(row.function, name);
        EXPECT_EQ(row.mode, c.mode);
        EXPECT_EQ(row.checked, n);
        EXPECT_EQ(row.max_ulp, std::max(0.0, worst));
        EXPECT_EQ(std::memcmp(&row.worst_input, &worst_in, sizeof(double)), 0)
            << row.worst_input << " against " << worst_in;
        EXPECT_EQ(row.over_bound, over);
        EXPECT_EQ(row.bound, b);
      }
    }
    EXPECT_EQ(next, rows->size());
  }
}

// A run in pieces (Plan::shard), merged, is the run: every row, every
// figure; and the pieces' files (certify_partial.h) keep every figure.
TEST(CertifyTest, ShardsMergeToTheWholeRun) {
  Plan plan;
  plan.dtype = DType::kFloat32;
  plan.stride = 65537;
  plan.functions = {"gelu", "celu", "tanh"};
  const auto whole = certify::Run(plan);
  ASSERT_TRUE(whole.ok()) << whole.status();
  plan.shards = 5;
  std::vector<std::vector<Row>> pieces;
  std::vector<Partial> files;
  std::uint64_t covered = 0;
  for (std::uint64_t k : {3, 0, 4, 1, 2}) {  // any order
    plan.shard = k;
    const auto [first, last] = ShardRange(plan);
    covered += last - first;
    const auto rows = certify::Run(plan);
    ASSERT_TRUE(rows.ok()) << rows.status();
    pieces.push_back(*rows);
    Partial p;
    p.plan = plan;
    p.rows = *rows;
    p.target = "AVX3";
    p.seconds = 0.1 * k;
    p.command = "certify --shard=" + std::to_string(k) + "/5";
    const absl::StatusOr<Partial> back = ParsePartial(FormatPartial(p));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(SameRun(back->plan, plan));
    EXPECT_EQ(back->plan.shard, k);
    EXPECT_EQ(back->command, p.command);
    EXPECT_EQ(FormatPartial(*back), FormatPartial(p));
    files.push_back(*back);
  }
  EXPECT_EQ(covered, InputCount(plan));
  const auto merged = MergeRows(pieces);
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->size(), whole->size());
  auto expect_same = [](const std::vector<Row>& a, const std::vector<Row>& b) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      SCOPED_TRACE(a[i].function + " " + a[i].params + " " + a[i].mode);
      EXPECT_EQ(a[i].mode, b[i].mode);
      EXPECT_EQ(a[i].max_ulp, b[i].max_ulp);
      EXPECT_EQ(a[i].worst_index, b[i].worst_index);
      EXPECT_EQ(std::memcmp(&a[i].worst_input, &b[i].worst_input, sizeof(double)), 0);
      EXPECT_EQ(std::memcmp(&a[i].worst_got, &b[i].worst_got, sizeof(double)), 0);
      EXPECT_EQ(a[i].worst_want, b[i].worst_want);
      EXPECT_EQ(a[i].checked, b[i].checked);
      EXPECT_EQ(a[i].over_bound, b[i].over_bound);
    }
  };
  expect_same(*merged, *whole);
  const absl::StatusOr<Partial> from_files = MergePartials(files);
  ASSERT_TRUE(from_files.ok()) << from_files.status();
  expect_same(from_files->rows, *whole);
  EXPECT_EQ(from_files->plan.shards, 1u);
  EXPECT_DOUBLE_EQ(from_files->seconds, 1.0);
  // A piece missing, twice, or of another run: refused, naming it.
  files.pop_back();
  EXPECT_NE(MergePartials(files).status().message().find("4 of 5 shards present; missing: 2"),
            std::string::npos)
      << MergePartials(files).status();
  files.push_back(files[0]);
  EXPECT_NE(MergePartials(files).status().message().find("shard 3 twice"), std::string::npos);
  files.back().plan.shard = 2;
  files.back().plan.stride = 3;
  EXPECT_NE(MergePartials(files).status().message().find("different runs"), std::string::npos);
  files.back().plan.stride = plan.stride;
  files.back().target = "AVX2";
  EXPECT_NE(MergePartials(files).status().message().find("on AVX2 and AVX3"), std::string::npos)
      << MergePartials(files).status();
  files.back().target = "AVX3";
  EXPECT_TRUE(MergePartials(files).ok());
  files.back().binary = "0123456789abcdef";
  EXPECT_NE(MergePartials(files).status().message().find("by binaries 0123456789abcdef and ?"),
            std::string::npos)
      << MergePartials(files).status();
  for (Partial& f : files) f.binary = "0123456789abcdef";
  EXPECT_TRUE(MergePartials(files).ok());
  EXPECT_EQ(ParsePartial(FormatPartial(files[0]))->binary, "0123456789abcdef");
  // A file cut short is not a piece.
  const std::string text = FormatPartial(files[0]);
  EXPECT_FALSE(ParsePartial(text.substr(0, text.size() - 4)).ok());
}

// --rows: the rows asked for, each the same as in the run of all rows.
TEST(CertifyTest, RowSubsetIsTheSameRows) {
  Plan plan;
  plan.dtype = DType::kFloat32;
  plan.stride = 65537;
  plan.functions = {"sigmoid", "elu"};
  const auto all = certify::Run(plan);
  ASSERT_TRUE(all.ok()) << all.status();
  const absl::StatusOr<unsigned> rows = ParseRowSet("backward_from_y,forward_and_derivative");
  ASSERT_TRUE(rows.ok()) << rows.status();
  plan.rows = *rows;
  const auto some = certify::Run(plan);
  ASSERT_TRUE(some.ok()) << some.status();
  std::vector<std::string> got, want;
  for (const Row& r : *some) got.push_back(r.function + " [" + r.params + "] " + r.mode);
  for (const Row& r : *all) {
    if (r.mode.rfind("forward_and_derivative", 0) != 0 && r.mode != "backward (from y)") continue;
    want.push_back(r.function + " [" + r.params + "] " + r.mode);
    const Row* s = FindRow(*some, r.function, r.params, r.mode);
    ASSERT_NE(s, nullptr) << want.back();
    EXPECT_EQ(s->max_ulp, r.max_ulp) << want.back();
    EXPECT_EQ(s->worst_index, r.worst_index) << want.back();
    EXPECT_EQ(s->over_bound, r.over_bound) << want.back();
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(RowSetName(kBackwardFromOutputRow), "backward_from_y");
  EXPECT_NE(ParseRowSet("forward,fwd").status().message().find("'fwd' is not a row kind"),
            std::string::npos);
}

// tools/certify_expl.cc returns inf for x >= 11500 and +0 for x <= -11500
// without calling glibc's expl: glibc's (which this test binary calls) gives
// exactly those, from those bounds on (and at every float32 input there, as
// the references call it, up to the long double that stands for inf).
TEST(CertifyTest, GlibcExplSaturatesWhereTheCertifyExecutableSkipsIt) {
  std::vector<long double> xs = {11500, 1e1000L, std::numeric_limits<long double>::max()};
  for (long double x = 11500; x < 2e6L; x = x * 1.0001L + 0.01L) xs.push_back(x);
  for (std::uint32_t bits = 0x4633b000; bits < 0x7f800000; bits += 4099) {  // 11500.0f up
    float f;
    std::memcpy(&f, &bits, 4);
    xs.push_back(f);
  }
  for (long double x : xs) {
    ASSERT_GE(x, 11500);
    const long double up = std::exp(x), down = std::exp(-x);
    ASSERT_TRUE(std::isinf(up) && up > 0) << static_cast<double>(x);
    ASSERT_TRUE(down == 0 && !std::signbit(down)) << static_cast<double>(-x);
  }
}

const FingerprintRow* FindFingerprint(const std::vector<FingerprintRow>& rows,
                                      const std::string& function, const std::string& params,
                                      const std::string& mode) {
  for (const FingerprintRow& r : rows) {
    if (r.function == function && r.params == params && r.mode == mode) return &r;
  }
  return nullptr;
}

TEST(CertifyFingerprintTest, RowsAreTheCertificatesRows) {
  Plan plan;
  plan.stride = 65537;
  plan.functions = {"sigmoid", "celu", "relu6"};
  const auto run = certify::Run(plan);
  const auto prints = certify::Fingerprint(plan);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(prints.ok()) << prints.status();
  ASSERT_EQ(prints->size(), run->size());
  for (std::size_t k = 0; k < run->size(); ++k) {
    EXPECT_EQ((*prints)[k].function, (*run)[k].function);
    EXPECT_EQ((*prints)[k].params, (*run)[k].params);
    EXPECT_EQ((*prints)[k].mode, (*run)[k].mode);
    EXPECT_EQ((*prints)[k].inputs, (*run)[k].checked);
  }
}

TEST(CertifyFingerprintTest, SameWhateverTheThreadCount) {
  Plan plan;
  plan.stride = 4099;
  plan.functions = {"tanh", "elu", "gelu"};
  plan.threads = 1;
  const auto one = certify::Fingerprint(plan);
  plan.threads = 2;
  const auto two = certify::Fingerprint(plan);
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_EQ(one->size(), two->size());
  for (std::size_t k = 0; k < one->size(); ++k) {
    EXPECT_EQ((*one)[k].hash, (*two)[k].hash) << (*one)[k].function << " " << (*one)[k].mode;
  }
}

// The kernel interface promises forward_and_derivative's tensors are
// forward's and derivative's bit for bit: so are their fingerprints, for
// every elementwise function and parameter set, in float32 (sampled) and
// bfloat16 (every input). And rows that compute different things differ.
TEST(CertifyFingerprintTest, BothModesFingerprintAsForwardAndDerivative) {
  for (DType dtype : {DType::kFloat32, DType::kBFloat16}) {
    Plan plan;
    plan.dtype = dtype;
    plan.stride = 65521;
    const auto prints = certify::Fingerprint(plan);
    ASSERT_TRUE(prints.ok()) << prints.status();
    int functions = 0;
    for (const FingerprintRow& r : *prints) {
      if (r.mode != "forward") continue;
      ++functions;
      SCOPED_TRACE(r.function + " [" + r.params + "] " + std::string(DTypeName(dtype)));
      const FingerprintRow* f = FindFingerprint(*prints, r.function, r.params,
                                                "forward_and_derivative: f");
      const FingerprintRow* d = FindFingerprint(*prints, r.function, r.params, "derivative");
      const FingerprintRow* df = FindFingerprint(*prints, r.function, r.params,
                                                 "forward_and_derivative: f'");
      const FingerprintRow* b = FindFingerprint(*prints, r.function, r.params, "backward");
      ASSERT_TRUE(f && d && df && b);
      EXPECT_EQ(f->hash, r.hash);
      EXPECT_EQ(df->hash, d->hash);
      EXPECT_NE(b->hash, d->hash);  // g = +-[0.5, 2), not 1
      EXPECT_NE(d->hash, r.hash);
    }
    EXPECT_GE(functions, 24);
  }
}

TEST(CertifyFingerprintTest, DiffersWhereTheOutputsDo) {
  Plan plan;
  plan.stride = 4099;
  plan.functions = {"relu", "relu6", "leaky_relu"};
  const auto prints = certify::Fingerprint(plan);
  ASSERT_TRUE(prints.ok()) << prints.status();
  const FingerprintRow* relu = FindFingerprint(*prints, "relu", "", "forward");
  const FingerprintRow* relu6 = FindFingerprint(*prints, "relu6", "", "forward");
  const FingerprintRow* leaky = FindFingerprint(*prints, "leaky_relu", "", "forward");
  const FingerprintRow* leaky2 = nullptr;  // the non-default slope
  for (const FingerprintRow& r : *prints) {
    if (r.function == "leaky_relu" && !r.params.empty() && r.mode == "forward") leaky2 = &r;
  }
  ASSERT_TRUE(relu && relu6 && leaky && leaky2);
  // relu and relu6 differ only above 6, leaky_relu's two slopes only below 0.
  EXPECT_NE(relu->hash, relu6->hash);
  EXPECT_NE(leaky->hash, leaky2->hash);
  // Another piece of the same inputs is other outputs.
  Plan piece = plan;
  piece.functions = {"relu"};
  piece.shards = 2;
  const auto half = certify::Fingerprint(piece);
  ASSERT_TRUE(half.ok());
  EXPECT_NE((*half)[0].hash, relu->hash);
  EXPECT_EQ((*half)[0].inputs, relu->inputs / 2);  // the first piece: floor(count / 2)
}

// FingerprintChunks: one hash per chunk per function and parameter set, the
// same whatever the thread count; Plan::only_chunks checks exactly the chunks
// it selects, and runs of complementary selections merge into the whole run
// (what `certify --changed-from` relies on: the old certificate covers the
// chunks whose outputs did not change, a run of the others the rest).
TEST(CertifyChunkTest, OnlyChunksPartitionTheRun) {
  Plan plan;
  plan.stride = 4099;  // 1047809 inputs: 15 whole chunks and a part
  plan.functions = {"softsign", "elu"};
  plan.threads = 1;
  const auto one = certify::FingerprintChunks(plan);
  plan.threads = 2;
  const auto two = certify::FingerprintChunks(plan);
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_EQ(one->size(), 3u);  // softsign, elu at defaults and at alpha moved
  const std::uint64_t chunks = (InputCount(plan) + kChunkInputs - 1) / kChunkInputs;
  for (std::size_t t = 0; t < one->size(); ++t) {
    ASSERT_EQ((*one)[t].hashes.size(), chunks);
    EXPECT_EQ((*one)[t].hashes, (*two)[t].hashes);
    for (std::uint64_t c = 1; c < chunks; ++c) EXPECT_NE((*one)[t].hashes[c], (*one)[t].hashes[0]);
  }
  int elu = 0, softsign = 0;
  for (const ChunkFingerprint& f : *one) (f.function == "elu" ? elu : softsign) += 1;
  EXPECT_EQ(elu, 2);
  EXPECT_EQ(softsign, 1);

  const auto whole = certify::Run(plan);
  ASSERT_TRUE(whole.ok());
  // softsign's chunk 3 alone: its rows checked one chunk, elu's nothing.
  Plan some = plan;
  some.only_chunks = [](const std::string& f, const std::string&, std::uint64_t c) {
    return f == "softsign" && c == 3;
  };
  const auto part = certify::Run(some);
  ASSERT_TRUE(part.ok());
  ASSERT_EQ(part->size(), whole->size());
  for (const Row& r : *part) {
    EXPECT_EQ(r.checked, r.function == "softsign" ? kChunkInputs : 0u) << r.function << r.mode;
    if (r.checked > 0) {
      EXPECT_GE(r.worst_index, 3 * kChunkInputs);
      EXPECT_LT(r.worst_index, 4 * kChunkInputs);
    }
  }
  // Odd chunks and even chunks, merged: the whole run, row for row.
  Plan odd = plan, even = plan;
  odd.only_chunks = [](const std::string&, const std::string&, std::uint64_t c) { return c % 2 == 1; };
  even.only_chunks = [](const std::string&, const std::string&, std::uint64_t c) { return c % 2 == 0; };
  const auto a = certify::Run(odd), b = certify::Run(even);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto merged = MergeRows({*a, *b});
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->size(), whole->size());
  for (std::size_t k = 0; k < whole->size(); ++k) {
    SCOPED_TRACE((*whole)[k].function + " " + (*whole)[k].mode);
    EXPECT_EQ((*merged)[k].max_ulp, (*whole)[k].max_ulp);
    EXPECT_EQ((*merged)[k].worst_index, (*whole)[k].worst_index);
    EXPECT_EQ((*merged)[k].checked, (*whole)[k].checked);
    EXPECT_EQ((*merged)[k].over_bound, (*whole)[k].over_bound);
  }
}

// mpfr_check --param-sets: every set valid, none twice, none the defaults,
// the ranges' edges first (0 and 2^-100 for elu's [0, inf), 2^+-100 for
// hardtanh's unbounded ends, with min_val <= max_val kept), the same sets
// for the same seed, none for a function without parameters.
TEST(CertifyTest, WideParameterSetsSpanTheValidRanges) {
  for (const ActivationSpec& spec : Catalog()) {
    if (!spec.elementwise) continue;
    const std::vector<ParameterSet> sets = WideParameterSets(spec, 12, 28);
    if (spec.params.empty()) {
      EXPECT_TRUE(sets.empty()) << spec.name;
    } else {
      EXPECT_GE(sets.size(), 4u) << spec.name;
    }
    std::vector<std::string> labels;
    for (const ParameterSet& set : sets) {
      const absl::StatusOr<Call> call = MakeCall(spec.name, set, Mode::kForward);
      ASSERT_TRUE(call.ok()) << spec.name << ": " << call.status();
      const std::string label = ParamsLabel(spec, *call);
      EXPECT_FALSE(label.empty()) << spec.name;
      EXPECT_EQ(std::count(labels.begin(), labels.end(), label), 0) << spec.name << " " << label;
      labels.push_back(label);
      for (const auto& [name, v] : set) EXPECT_EQ(v, static_cast<float>(v)) << name;
    }
    const std::vector<ParameterSet> again = WideParameterSets(spec, 12, 28);
    EXPECT_EQ(again, sets) << spec.name;
  }
  const std::vector<ParameterSet> elu = WideParameterSets(*FindSpec("elu"), 3, 1);
  ASSERT_EQ(elu.size(), 3u);
  EXPECT_EQ(elu[0][0].second, 0.0);
  EXPECT_EQ(elu[1][0].second, 0x1p-100);
  EXPECT_EQ(elu[2][0].second, 0x1p100);
  for (const ParameterSet& set : WideParameterSets(*FindSpec("hardtanh"), 16, 5)) {
    const Call call = *MakeCall("hardtanh", set, Mode::kForward);
    EXPECT_LE(call.params[0], call.params[1]);
  }
}

// mpfr_check --tails' gradients: exactly values of the dtype, every kind
// drawn (+-max, +-min, +-0, +-inf, subnormals), the same for the same i.
TEST(CertifyTest, ExtremeGradientsAreValuesOfTheDtypeOfEveryKind) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat64}) {
    const bool f32 = dtype == DType::kFloat32;
    const double max = f32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
    const double min = f32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
    int n_max = 0, n_zero = 0, n_inf = 0, n_sub = 0, n_neg = 0;
    for (std::uint64_t i = 0; i < 4096; ++i) {
      const double g = ExtremeGradientAt(i, dtype);
      EXPECT_EQ(g, ExtremeGradientAt(i, dtype));
      if (f32) {
        EXPECT_EQ(g, static_cast<double>(static_cast<float>(g))) << g;
      }
      n_max += std::fabs(g) == max;
      n_zero += g == 0;
      n_inf += std::isinf(g);
      n_sub += g != 0 && std::fabs(g) < min;
      n_neg += std::signbit(g);
    }
    EXPECT_GT(n_max, 0);
    EXPECT_GT(n_zero, 0);
    EXPECT_GT(n_inf, 0);
    EXPECT_GT(n_sub, 0);
    EXPECT_GT(n_neg, 1024);
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
