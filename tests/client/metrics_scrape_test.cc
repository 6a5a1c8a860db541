#include "client/metrics_scrape.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "server/metrics/metrics_http_server.h"

namespace activation::client {
namespace {

using ::testing::HasSubstr;

TEST(ParseMetricsTextTest, SamplesLabelsAndSpecialValues) {
  const absl::StatusOr<std::vector<MetricSample>> samples = ParseMetricsText(
      "# HELP a_total A.\n"
      "# TYPE a_total counter\n"
      "a_total 12\n"
      "\n"
      "b{x=\"1\",y=\"two words\"} 2.5 1700000000000\n"
      "c{path=\"C:\\\\dir\\n\\\"q\\\"\",} +Inf\n"
      "d -Inf\n"
      "e NaN\n"
      "f{} 1e-05\n");
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 6u);
  EXPECT_EQ((*samples)[0].name, "a_total");
  EXPECT_EQ((*samples)[0].value, 12);
  EXPECT_TRUE((*samples)[0].labels.empty());
  EXPECT_EQ((*samples)[1].labels.at("x"), "1");
  EXPECT_EQ((*samples)[1].labels.at("y"), "two words");
  EXPECT_EQ((*samples)[1].value, 2.5);  // the timestamp is ignored
  EXPECT_EQ((*samples)[2].labels.at("path"), "C:\\dir\n\"q\"");
  EXPECT_TRUE(std::isinf((*samples)[2].value) && (*samples)[2].value > 0);
  EXPECT_TRUE(std::isinf((*samples)[3].value) && (*samples)[3].value < 0);
  EXPECT_TRUE(std::isnan((*samples)[4].value));
  EXPECT_EQ((*samples)[5].value, 1e-05);
}

TEST(ParseMetricsTextTest, MalformedLinesNameTheLine) {
  for (const char* bad : {"9bad 1\n", "a{x=\"1} 2\n", "a{x=1} 2\n",
                          "a{x=\"\\t\"} 2\n", "a\n", "a one\n", "a 1 2 3\n"}) {
    const absl::StatusOr<std::vector<MetricSample>> samples =
        ParseMetricsText(std::string("ok 1\n") + bad);
    EXPECT_EQ(samples.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(std::string(samples.status().message()),
                HasSubstr("metrics line 2"))
        << bad;
  }
}

TEST(FetchMetricsTest, GetsTheBodyFromARealEndpoint) {
  auto server = actserver::metrics::MetricsHttpServer::Start(
      "127.0.0.1:0", [] { return std::string("up 1\n"); });
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string port = std::to_string((*server)->port());
  absl::StatusOr<std::string> body =
      FetchMetrics("127.0.0.1:" + port, absl::Seconds(10));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "up 1\n");
  body = FetchMetrics("http://127.0.0.1:" + port + "/metrics", absl::Seconds(10));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "up 1\n");
  // Another path is the server's 404.
  body = FetchMetrics("http://127.0.0.1:" + port + "/other", absl::Seconds(10));
  EXPECT_EQ(body.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("HTTP 404"));
}

TEST(FetchMetricsTest, BadTargetsAndRefusedConnections) {
  EXPECT_EQ(FetchMetrics("localhost", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FetchMetrics("https://x:1/metrics", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FetchMetrics("127.0.0.1:70000", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A port nobody listens on: take one from a server that has stopped.
  int port = 0;
  {
    auto server = actserver::metrics::MetricsHttpServer::Start(
        "127.0.0.1:0", [] { return std::string(); });
    ASSERT_TRUE(server.ok());
    port = (*server)->port();
  }
  EXPECT_EQ(FetchMetrics("127.0.0.1:" + std::to_string(port), absl::Seconds(2))
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace activation::client
