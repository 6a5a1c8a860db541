// actctl and actload pieces that need no server: argument checks, tables,
// report formats.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "client/actctl.h"
#include "client/actload.h"
#include "client/actload_report.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace activation::client {
namespace {

int RunArgs(const ActctlArgs& args, std::string* err) {
  std::istringstream in;
  std::ostringstream out, e;
  const int rc = RunActctl(args, in, out, e);
  *err = e.str();
  return rc;
}

TEST(ActctlArgsTest, UsageErrorsExitTwoWithoutConnecting) {
  // Port 1 on loopback: a usage error must be reported before any call.
  const std::string t = "127.0.0.1:1";
  std::string err;
  EXPECT_EQ(RunArgs({.command = "frobnicate", .target = t}, &err), kExitUsage);
  EXPECT_NE(err.find("list, compute, health, plot"), std::string::npos);
  EXPECT_EQ(RunArgs({.command = "compute", .target = t}, &err), kExitUsage);
  EXPECT_EQ(RunArgs({.command = "compute", .operands = {"a", "b"}, .target = t}, &err),
            kExitUsage);
  EXPECT_EQ(RunArgs({.command = "compute", .operands = {"relu"}, .target = t,
                 .values = "1", .mode = "up"}, &err),
            kExitUsage);
  EXPECT_NE(err.find("'up'"), std::string::npos);
  EXPECT_EQ(RunArgs({.command = "compute", .operands = {"relu"}, .target = t,
                 .values = "1,x"}, &err),
            kExitUsage);
  EXPECT_EQ(RunArgs({.command = "plot", .target = t}, &err), kExitUsage);
  EXPECT_EQ(RunArgs({.command = "plot", .operands = {"relu"}, .target = t,
                 .from = 1, .to = 1}, &err),
            kExitUsage);
  EXPECT_EQ(RunArgs({.command = "plot", .operands = {"relu"}, .target = t,
                 .points = 1}, &err),
            kExitUsage);
  EXPECT_EQ(RunArgs({.command = "list", .operands = {"x"}, .target = t}, &err),
            kExitUsage);
  EXPECT_EQ(RunArgs({.command = "list", .target = "a:1,b:2"}, &err), kExitUsage);
}

TEST(ActctlArgsTest, UnreachableServerExitsOne) {
  std::string err;
  EXPECT_EQ(RunArgs({.command = "list", .target = "127.0.0.1:1",
                 .timeout = absl::Milliseconds(300)}, &err),
            kExitFailure);
  // UNAVAILABLE, or DEADLINE_EXCEEDED when the retry policy's backoff is
  // still retrying as the deadline passes.
  EXPECT_TRUE(err.find("UNAVAILABLE") != std::string::npos ||
              err.find("DEADLINE_EXCEEDED") != std::string::npos)
      << err;
}

TEST(ActctlTest, PlotOperands) {
  auto plain = ParsePlotOperand("gelu");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->function, "gelu");
  EXPECT_TRUE(plain->params.empty());
  auto with = ParsePlotOperand("softplus:beta=2,threshold=5");
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(with->function, "softplus");
  EXPECT_EQ(with->params.at("beta"), 2);
  EXPECT_EQ(with->params.at("threshold"), 5);
  EXPECT_FALSE(ParsePlotOperand(":beta=2").ok());
  EXPECT_FALSE(ParsePlotOperand("elu:alpha").ok());
}

TEST(ActctlTest, CatalogTableAlignsColumns) {
  v1::ListActivationsResponse catalog;
  catalog.set_simd_target("AVX2");
  auto* a = catalog.add_activations();
  a->set_name("leaky_relu");
  a->set_formula("f(x) = x if x > 0 else negative_slope * x");
  auto* p = a->add_parameters();
  p->set_name("negative_slope");
  p->set_default_value(0.01);
  p->mutable_valid_range()->set_min(0);
  p->mutable_valid_range()->set_max(INFINITY);
  p->mutable_valid_range()->set_min_inclusive(true);
  a->mutable_properties()->set_monotonic(true);
  a->set_max_ulp_error_float32(1);
  a->set_max_ulp_error_float64(1);
  auto* b = catalog.add_activations();
  b->set_name("tanh");
  b->mutable_output_range()->set_min(-1);
  b->mutable_output_range()->set_max(1);
  const std::string table = FormatCatalogTable(catalog);
  const std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << table;  // header, 2 rows, SIMD line
  EXPECT_NE(lines[1].find("negative_slope=0.01 [0, inf)"), std::string::npos);
  EXPECT_NE(lines[1].find("monotonic"), std::string::npos);
  EXPECT_NE(lines[2].find("(-1, 1)"), std::string::npos);
  // Columns line up: the formula column starts at the same offset.
  EXPECT_EQ(lines[0].find("f(x)"), lines[1].find("f(x) ="));
  EXPECT_EQ(lines[3], "SIMD target: AVX2");
}

LoadResult SyntheticResult() {
  LoadResult r;
  r.ok = 990;
  r.errors = 10;
  r.errors_by_code["UNAVAILABLE"] = 10;
  r.first_error = "UNAVAILABLE: \"quoted\" reason";
  r.elements = 990 * 1024;
  r.payload_bytes = r.elements * 8;
  r.elapsed = absl::Seconds(2);
  r.per_target = {600, 400};
  r.cpu_user = absl::Milliseconds(150);
  r.cpu_system = absl::Milliseconds(50);
  for (int i = 1; i <= 1000; ++i) r.latency.Record(i * 1000);  // 1..1000 us
  // The ten errors were the fast ones.
  for (int i = 11; i <= 1000; ++i) r.ok_latency.Record(i * 1000);
  return r;
}

TEST(ActloadReportTest, JsonParsesAndHoldsTheFigures) {
  LoadConfig c;
  c.targets = {"127.0.0.1:1", "127.0.0.1:2"};
  const LoadResult r = SyntheticResult();
  google::protobuf::Struct json;
  const std::string text = FormatJson(c, r);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &json).ok()) << text;
  const auto& f = json.fields();
  EXPECT_EQ(f.at("ok").number_value(), 990);
  EXPECT_EQ(f.at("errors").number_value(), 10);
  EXPECT_EQ(f.at("errors_by_code").struct_value().fields().at("UNAVAILABLE")
                .number_value(), 10);
  EXPECT_EQ(f.at("requests_per_s").number_value(), 500);
  EXPECT_NEAR(f.at("cpu_us_per_request").number_value(), 200, 1e-6);
  const auto& lat = f.at("latency").struct_value().fields();
  EXPECT_NEAR(lat.at("p50_us").number_value(), 500, 5);
  EXPECT_NEAR(lat.at("p99_us").number_value(), 990, 9.9);
  EXPECT_EQ(lat.at("max_us").number_value(), 1000);
  const auto& ok_lat = f.at("ok_latency").struct_value().fields();
  EXPECT_EQ(ok_lat.at("count").number_value(), 990);
  EXPECT_EQ(ok_lat.at("min_us").number_value(), 11);
  EXPECT_EQ(f.at("per_target").list_value().values(1).number_value(), 400);
  EXPECT_EQ(f.at("first_error").string_value(), "UNAVAILABLE: \"quoted\" reason");
}

TEST(ActloadReportTest, CsvRowMatchesHeaderAndTextMentionsErrors) {
  LoadConfig c;
  c.sizes = {{16, 1024}, {3, 1}};
  c.targets = {"a:1", "b:2"};
  const LoadResult r = SyntheticResult();
  const std::vector<std::string> lines =
      absl::StrSplit(FormatCsv(c, r), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  // The sizes column is quoted, its commas are not separators.
  auto columns = [](const std::string& line) {
    int n = 1;
    bool quoted = false;
    for (char ch : line) {
      if (ch == '"') quoted = !quoted;
      if (ch == ',' && !quoted) ++n;
    }
    return n;
  };
  EXPECT_EQ(columns(lines[0]), columns(lines[1]));
  EXPECT_EQ(FormatCsv(c, r, /*header=*/false), lines[1] + "\n");
  const std::string text = FormatText(c, r);
  EXPECT_NE(text.find("UNAVAILABLE: 10"), std::string::npos) << text;
  EXPECT_NE(text.find("500.0 req/s"), std::string::npos) << text;
  EXPECT_NE(text.find("b:2: 400 requests"), std::string::npos) << text;
}

TEST(ActloadReportTest, ProgressLine) {
  ProgressSample sample;
  sample.elapsed = absl::Seconds(3);
  sample.interval = absl::Milliseconds(500);
  sample.ok = 990;
  sample.errors = 10;
  for (int i = 1; i <= 1000; ++i) sample.latency.Record(i * 1000);  // 1us..1ms
  const std::string line = FormatProgress(sample);
  EXPECT_EQ(line.find("actload:   3.0s measure    2000.0 req/s, 10 errors, p50 "), 0u)
      << line;
  EXPECT_NE(line.find("p50 50"), std::string::npos) << line;  // ~500us
  EXPECT_NE(line.find("p99 99"), std::string::npos) << line;  // ~990us
  sample.warmup = true;
  sample.latency.Clear();
  EXPECT_NE(FormatProgress(sample).find("warmup"), std::string::npos);
  EXPECT_NE(FormatProgress(sample).find("p50 -, p99 -"), std::string::npos);
}

TEST(ActloadConfigTest, Validation) {
  EXPECT_TRUE(ValidateLoadConfig({}).ok());
  const auto bad = [](auto mutate) {
    LoadConfig c;
    mutate(c);
    return !ValidateLoadConfig(c).ok();
  };
  EXPECT_TRUE(bad([](LoadConfig& c) { c.targets.clear(); }));
  EXPECT_TRUE(bad([](LoadConfig& c) { c.concurrency = 0; }));
  EXPECT_TRUE(bad([](LoadConfig& c) { c.connections = 0; }));
  EXPECT_TRUE(bad([](LoadConfig& c) { c.threads = 0; }));
  EXPECT_TRUE(bad([](LoadConfig& c) { c.threads = 65; }));
  EXPECT_TRUE(bad([](LoadConfig& c) { c.rps = -1; }));
  // Unbounded runs are refused.
  EXPECT_TRUE(bad([](LoadConfig& c) {
    c.duration = absl::ZeroDuration();
    c.total = 0;
  }));
  EXPECT_FALSE(bad([](LoadConfig& c) {
    c.duration = absl::ZeroDuration();
    c.total = 100;
  }));
  EXPECT_TRUE(bad([](LoadConfig& c) { c.timeout = absl::ZeroDuration(); }));
  EXPECT_TRUE(bad([](LoadConfig& c) { c.batch_items = 0; }));
  EXPECT_EQ(*ParseLoadRpc("stream"), LoadRpc::kStream);
  EXPECT_FALSE(ParseLoadRpc("bidi").ok());
}

TEST(ActloadConfigTest, VerifyRejectsUnknownFunctionBeforeConnecting) {
  LoadConfig c;
  c.targets = {"127.0.0.1:1"};
  c.function = "no_such_function";
  c.verify = true;
  const absl::Status s = RunLoad(c).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(ActloadConfigTest, UnreachableTargetFailsFast) {
  LoadConfig c;
  c.targets = {"127.0.0.1:1"};
  c.timeout = absl::Milliseconds(300);
  c.duration = absl::Seconds(30);
  const absl::Time start = absl::Now();
  const absl::Status s = RunLoad(c).status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("127.0.0.1:1"), absl::string_view::npos) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace activation::client
