// The metrics port as a scraper sees it: a real civetweb server on a
// kernel-chosen loopback port, spoken to over a plain TCP socket.
#include "server/metrics/metrics_http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"

#include "server/metrics/text_format.h"
#include "tests/server/metrics/raw_http.h"

namespace actserver::metrics {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Get(int port, const std::string& path,
                const std::string& method = "GET") {
  return testing::HttpGet(port, path, method);
}

TEST(MetricsHttpServerTest, ServesMetricsWithTheFormatsContentType) {
  std::atomic<int> renders{0};
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
      MetricsHttpServer::Start("127.0.0.1:0", [&renders] {
        ++renders;
        return std::string("# HELP up Up.\n# TYPE up gauge\nup 1\n");
      });
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  const std::string response = Get(port, "/metrics");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr(std::string("Content-Type: ") +
                                  kTextFormatContentType + "\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Length: 35\r\n"));
  EXPECT_THAT(response, EndsWith("\r\n\r\n# HELP up Up.\n# TYPE up gauge\nup 1\n"));
  EXPECT_EQ(renders.load(), 1);
  // Each scrape renders afresh.
  Get(port, "/metrics");
  EXPECT_EQ(renders.load(), 2);
}

TEST(MetricsHttpServerTest, HeadHasNoBodyAndOtherMethodsAreRefused) {
  auto server = MetricsHttpServer::Start("127.0.0.1:0",
                                         [] { return std::string("up 1\n"); });
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string head = Get((*server)->port(), "/metrics", "HEAD");
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(head, EndsWith("\r\n\r\n"));
  const std::string post = Get((*server)->port(), "/metrics", "POST");
  EXPECT_THAT(post, StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(post, HasSubstr("Allow: GET, HEAD\r\n"));
}

TEST(MetricsHttpServerTest, IndexAndNotFound) {
  auto server = MetricsHttpServer::Start("127.0.0.1:0",
                                         [] { return std::string("up 1\n"); });
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT(Get((*server)->port(), "/"), HasSubstr("GET /metrics"));
  EXPECT_THAT(Get((*server)->port(), "/nope"), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Get((*server)->port(), "/metrics/x"),
              StartsWith("HTTP/1.1 404"));
}

TEST(MetricsHttpServerTest, BusyPortAndBadAddressAreErrors) {
  auto first = MetricsHttpServer::Start("127.0.0.1:0",
                                        [] { return std::string(); });
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsHttpServer::Start(taken, [] { return std::string(); });
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(taken));
  auto bad = MetricsHttpServer::Start("localhost", [] { return std::string(); });
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  auto ipv6 = MetricsHttpServer::Start("::1:0", [] { return std::string(); });
  EXPECT_EQ(ipv6.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MetricsHttpServerTest, StopsOnDestruction) {
  int port = 0;
  {
    auto server = MetricsHttpServer::Start("127.0.0.1:0",
                                           [] { return std::string("up 1\n"); });
    ASSERT_TRUE(server.ok()) << server.status();
    port = (*server)->port();
  }
  EXPECT_EQ(Get(port, "/metrics"), "connect failed");
}

// A report the test changes between probes.
class SettableHealth {
 public:
  void Set(MetricsHttpServer::HealthReport report) {
    absl::MutexLock lock(&mu_);
    report_ = std::move(report);
  }
  MetricsHttpServer::Health Source() {
    return [this] {
      absl::MutexLock lock(&mu_);
      return report_;
    };
  }

 private:
  absl::Mutex mu_;
  MetricsHttpServer::HealthReport report_;
};

TEST(MetricsHttpServerTest, HealthAndReadinessFollowTheReport) {
  SettableHealth health;
  auto server = MetricsHttpServer::Start(
      "127.0.0.1:0", [] { return std::string("up 1\n"); }, health.Source());
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();

  std::string live = Get(port, "/healthz");
  EXPECT_THAT(live, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(live, HasSubstr("Cache-Control: no-store\r\n"));
  EXPECT_EQ(testing::HttpBody(live), "ok\n");
  EXPECT_EQ(testing::HttpBody(Get(port, "/readyz")), "SERVING\n");

  health.Set({.live = true, .ready = false, .reason = "draining"});
  EXPECT_THAT(Get(port, "/healthz"), StartsWith("HTTP/1.1 200 OK\r\n"));
  std::string ready = Get(port, "/readyz");
  EXPECT_THAT(ready, StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(ready, HasSubstr("Content-Length: 22\r\n"));
  EXPECT_EQ(testing::HttpBody(ready), "NOT_SERVING: draining\n");

  // Not live is not ready either, whatever `ready` says.
  health.Set({.live = false, .ready = true, .reason = "stuck"});
  live = Get(port, "/healthz");
  EXPECT_THAT(live, StartsWith("HTTP/1.1 503"));
  EXPECT_EQ(testing::HttpBody(live), "unhealthy: stuck\n");
  EXPECT_EQ(testing::HttpBody(Get(port, "/readyz")), "NOT_SERVING: stuck\n");

  // HEAD has the status and no body; other methods are refused.
  const std::string head = Get(port, "/readyz", "HEAD");
  EXPECT_THAT(head, StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(head, EndsWith("\r\n\r\n"));
  EXPECT_THAT(Get(port, "/healthz", "POST"), StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(Get(port, "/"), HasSubstr("/healthz"));
  EXPECT_THAT(Get(port, "/healthz/x"), StartsWith("HTTP/1.1 404"));
}

TEST(MetricsHttpServerTest, NoProbesWithoutAHealthSource) {
  auto server = MetricsHttpServer::Start("127.0.0.1:0",
                                         [] { return std::string("up 1\n"); });
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT(Get((*server)->port(), "/healthz"), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Get((*server)->port(), "/readyz"), StartsWith("HTTP/1.1 404"));
}

}  // namespace
}  // namespace actserver::metrics
