// The heartbeat against a real gRPC server (answers), against a listener
// that never speaks HTTP/2 (no answer: what a wedged server looks like to
// it), and its stop.
#include "server/metrics/grpc_heartbeat.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace actserver::metrics {
namespace {

TEST(GrpcHeartbeatTest, CountsTheAnswersOfARealServer) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  // A callback service makes the health service a callback one too (as in
  // actserver, whose services are all callback services): no completion
  // queue to poll.
  grpc::CallbackGenericService generic;
  builder.RegisterCallbackGenericService(&generic);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  GrpcHeartbeat heartbeat(server->InProcessChannel(grpc::ChannelArguments()),
                          absl::Milliseconds(20), absl::Seconds(5));
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (heartbeat.answers() < 3 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_GE(heartbeat.answers(), 3);
  EXPECT_LT(heartbeat.SinceLastAnswer(), absl::Seconds(5));
  EXPECT_FALSE(heartbeat.stopped());

  heartbeat.Stop();
  EXPECT_TRUE(heartbeat.stopped());
  const long answers = heartbeat.answers();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(heartbeat.answers(), answers);
  heartbeat.Stop();  // idempotent
  server->Shutdown();
}

TEST(GrpcHeartbeatTest, ASilentServerLetsTheAgeGrowAndStopIsPrompt) {
  // Accepted by the kernel (listen backlog), never answered.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  {
    GrpcHeartbeat heartbeat(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()),
        absl::Milliseconds(20), absl::Seconds(30));
    absl::SleepFor(absl::Milliseconds(600));
    EXPECT_EQ(heartbeat.answers(), 0);
    EXPECT_GE(heartbeat.SinceLastAnswer(), absl::Milliseconds(600));
    // The check in flight (30 s deadline) is cancelled, not waited for.
    const absl::Time start = absl::Now();
    heartbeat.Stop();
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  }
  close(fd);
}

}  // namespace
}  // namespace actserver::metrics
