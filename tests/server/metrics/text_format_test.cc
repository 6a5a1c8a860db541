// The exposition against the text format's rules (prometheus.io, "Exposition
// formats", text format 0.0.4): escaping, value spelling, histogram shape.
#include "server/metrics/text_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace actserver::metrics {
namespace {

TEST(TextFormatTest, FamilyWritesHelpThenType) {
  TextFormatWriter w;
  w.Family("a_total", MetricType::kCounter, "Things done.");
  w.Family("b", MetricType::kGauge, "Level.");
  w.Family("c_seconds", MetricType::kHistogram, "Time.");
  EXPECT_EQ(w.Take(),
            "# HELP a_total Things done.\n# TYPE a_total counter\n"
            "# HELP b Level.\n# TYPE b gauge\n"
            "# HELP c_seconds Time.\n# TYPE c_seconds histogram\n");
  EXPECT_EQ(w.Take(), "");  // Take empties the writer
}

TEST(TextFormatTest, HelpEscapesBackslashAndNewlineOnly) {
  EXPECT_EQ(EscapeHelp("a\\b\nc\"d"), "a\\\\b\\nc\"d");
}

TEST(TextFormatTest, LabelValuesEscapeBackslashQuoteNewline) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  TextFormatWriter w;
  w.Sample("m", {{"path", "C:\\dir\n\"x\""}}, std::uint64_t{1});
  EXPECT_EQ(w.Take(), "m{path=\"C:\\\\dir\\n\\\"x\\\"\"} 1\n");
}

TEST(TextFormatTest, SamplesWithAndWithoutLabels) {
  TextFormatWriter w;
  w.Sample("up", {}, 1.0);
  w.Sample("req_total", {{"rpc", "Compute"}, {"code", "OK"}},
           std::uint64_t{18446744073709551615u});
  EXPECT_EQ(w.Take(),
            "up 1\nreq_total{rpc=\"Compute\",code=\"OK\"} "
            "18446744073709551615\n");
}

TEST(TextFormatTest, ValuesAreShortestRoundTripAndSpecialsSpelledOut) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(1.5), "1.5");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(5e-05), "5e-05");
  EXPECT_EQ(FormatValue(1e-04), "0.0001");
  EXPECT_EQ(FormatValue(16777216), "1.6777216e+07");  // as Go's 'g', -1
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  const double third = 1.0 / 3;
  EXPECT_EQ(std::stod(FormatValue(third)), third);
}

TEST(TextFormatTest, HistogramIsCumulativeWithInfSumAndCount) {
  Histogram h(std::vector<std::uint64_t>{50'000, 1'000'000});  // ns
  h.Observe(20'000);
  h.Observe(700'000);
  h.Observe(3'000'000'000);
  TextFormatWriter w;
  const Label rpc[] = {{"rpc", "Compute"}};
  w.HistogramSamples("lat_seconds", rpc, h.Snapshot(), 1e9);
  EXPECT_EQ(w.Take(),
            "lat_seconds_bucket{rpc=\"Compute\",le=\"5e-05\"} 1\n"
            "lat_seconds_bucket{rpc=\"Compute\",le=\"0.001\"} 2\n"
            "lat_seconds_bucket{rpc=\"Compute\",le=\"+Inf\"} 3\n"
            "lat_seconds_sum{rpc=\"Compute\"} 3.00072\n"
            "lat_seconds_count{rpc=\"Compute\"} 3\n");
}

TEST(TextFormatTest, NameValidation) {
  EXPECT_TRUE(IsValidMetricName("actsvc_requests_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_TRUE(IsValidMetricName("_x9"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9x"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(IsValidLabelName("rpc"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("1a"));
}

TEST(TextFormatDeathTest, InvalidNamesAbort) {
  TextFormatWriter w;
  EXPECT_DEATH(w.Family("bad-name", MetricType::kGauge, "x"), "");
  EXPECT_DEATH(w.Sample("m", {{"bad:label", "v"}}, 1.0), "");
}

}  // namespace
}  // namespace actserver::metrics
