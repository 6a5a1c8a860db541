// /healthz and /readyz of a real server (port 0, metrics on 127.0.0.1:0),
// through start, drain and shutdown, beside grpc.health.v1 on the same
// server: the two must tell the same story.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "server/server_builder.h"
#include "tests/integration/grpc_probes.h"
#include "tests/integration/local_server.h"
#include "tests/server/metrics/raw_http.h"

namespace actserver {
namespace {

using ::actserver::testing::CheckHealth;
using ::actserver::testing::HttpBody;
using ::actserver::testing::HttpGet;
using ::actserver::testing::ServingStatus;
using ::actserver::testing::StartLocalServer;

std::unique_ptr<ActivationServer> StartServer(
    absl::Duration liveness_stall = absl::Seconds(10)) {
  ServerOptions options;
  options.threads = 1;
  options.metrics_address = "127.0.0.1:0";
  options.liveness_stall = liveness_stall;
  return StartLocalServer(options);
}

ServingStatus GrpcHealth(ActivationServer& server) {
  ServingStatus status = ServingStatus::kUnknown;
  const grpc::Status rpc = CheckHealth(
      grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials()),
      "", &status);
  EXPECT_TRUE(rpc.ok()) << rpc.error_message();
  return status;
}

TEST(HttpHealthTest, ProbesFollowTheServerThroughDrainAndShutdown) {
  std::unique_ptr<ActivationServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  const int port = server->metrics_port();
  ASSERT_GT(port, 0);

  EXPECT_TRUE(absl::StartsWith(HttpGet(port, "/healthz"), "HTTP/1.1 200"));
  EXPECT_EQ(HttpBody(HttpGet(port, "/healthz")), "ok\n");
  EXPECT_EQ(HttpBody(HttpGet(port, "/readyz")), "SERVING\n");
  EXPECT_EQ(GrpcHealth(*server), ServingStatus::kServing);

  // Draining: not ready (both ways), still alive.
  server->StartDraining();
  const std::string ready = HttpGet(port, "/readyz");
  EXPECT_TRUE(absl::StartsWith(ready, "HTTP/1.1 503")) << ready;
  EXPECT_EQ(HttpBody(ready), "NOT_SERVING: draining: the server is shutting down\n");
  EXPECT_EQ(HttpBody(HttpGet(port, "/healthz")), "ok\n");
  EXPECT_EQ(GrpcHealth(*server), ServingStatus::kNotServing);

  // Shut down: the HTTP port answers until the server is destroyed, alive
  // and not ready; the heartbeat has stopped and does not turn it into a
  // stall.
  server->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(HttpBody(HttpGet(port, "/healthz")), "ok\n");
  EXPECT_TRUE(absl::StartsWith(HttpGet(port, "/readyz"), "HTTP/1.1 503"));
  server.reset();
  EXPECT_EQ(HttpGet(port, "/healthz"), "connect failed");
}

TEST(HttpHealthTest, LivenessFailsWhenGrpcHasNotAnsweredForTheStallLimit) {
  // A limit no heartbeat can meet: every probe sees a stall, and says so.
  std::unique_ptr<ActivationServer> server =
      StartServer(absl::Nanoseconds(1));
  ASSERT_NE(server, nullptr);
  const int port = server->metrics_port();
  const std::string live = HttpGet(port, "/healthz");
  EXPECT_TRUE(absl::StartsWith(live, "HTTP/1.1 503")) << live;
  EXPECT_TRUE(absl::StartsWith(
      HttpBody(live),
      "unhealthy: gRPC's threads have not answered a health check for "))
      << live;
  EXPECT_TRUE(absl::StartsWith(HttpBody(HttpGet(port, "/readyz")),
                               "NOT_SERVING: gRPC's threads"));
}

TEST(HttpHealthTest, ANonPositiveStallLimitIsRefused) {
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.metrics_address = "127.0.0.1:0";
  options.liveness_stall = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<ActivationServer>> server =
      ActivationServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(server.status().message(), "liveness_stall"));
}

}  // namespace
}  // namespace actserver
