// The metrics port as a scraper sees it: a real civetweb server on a
// kernel-chosen loopback port, spoken to over a plain TCP socket.
#include "server/metrics/metrics_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "server/metrics/text_format.h"

namespace actserver::metrics {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sends `request` to 127.0.0.1:port and returns everything the server sent
// before closing (the server does not keep connections alive).
std::string Exchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "connect failed";
  }
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  close(fd);
  return response;
}

std::string Get(int port, const std::string& path,
                const std::string& method = "GET") {
  return Exchange(port, method + " " + path +
                            " HTTP/1.1\r\nHost: localhost\r\n"
                            "Connection: close\r\n\r\n");
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

}  // namespace
}  // namespace actserver::metrics
