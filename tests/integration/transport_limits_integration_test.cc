// The HTTP/2 limits of ServerOptions::transport reach gRPC: a real server on
// 127.0.0.1 closes an idle connection, and holds a connection to its stream
// limit (the client queues the call beyond it).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "activation/v1/activation.grpc.pb.h"
#include "server/server_builder.h"
#include "tests/integration/local_server.h"
#include "tests/server/server_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::Grid;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::SetDeadline;
using ::actserver::testing::StartLocalServer;
using ::actserver::testing::WireType;

std::unique_ptr<ActivationServer> StartServer(const TransportLimits& limits) {
  ServerOptions options;
  options.threads = 1;
  options.transport = limits;
  return StartLocalServer(options);
}

std::shared_ptr<grpc::Channel> Connect(const ActivationServer& server) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(server.target(),
                                   grpc::InsecureChannelCredentials(), args);
}

TEST(TransportLimitsIntegrationTest, IdleConnectionIsClosed) {
  TransportLimits limits;
  limits.max_connection_idle = absl::Milliseconds(500);
  std::unique_ptr<ActivationServer> server = StartServer(limits);
  ASSERT_NE(server, nullptr);
  auto channel = Connect(*server);
  ASSERT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                        std::chrono::seconds(10)));
  // The server's GOAWAY takes the channel from READY back to IDLE.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (channel->GetState(false) == GRPC_CHANNEL_READY &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(channel->GetState(false), GRPC_CHANNEL_READY);
}

TEST(TransportLimitsIntegrationTest, StreamsBeyondTheLimitWait) {
  TransportLimits limits;
  limits.max_concurrent_streams = 1;
  std::unique_ptr<ActivationServer> server = StartServer(limits);
  ASSERT_NE(server, nullptr);
  auto stub = v1::ActivationService::NewStub(Connect(*server));
  // An open stream takes the connection's only slot.
  grpc::ClientContext stream_context;
  SetDeadline(&stream_context);
  auto stream = stub->ComputeStream(&stream_context);
  v1::ComputeStreamResponse reply;
  ASSERT_TRUE(stream->Write(MakeRequest("relu", v1::MODE_FORWARD,
                                        WireType::kFloat32, Grid(-1, 1, 3))));
  ASSERT_TRUE(stream->Read(&reply));

  // A second call cannot start on this connection until the stream ends.
  const v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, Grid(-1, 1, 3));
  v1::ComputeResponse response;
  grpc::ClientContext blocked;
  SetDeadline(&blocked, std::chrono::milliseconds(500));
  EXPECT_EQ(stub->Compute(&blocked, request, &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);

  ASSERT_TRUE(stream->WritesDone());
  ASSERT_TRUE(stream->Finish().ok());
  grpc::ClientContext after;
  SetDeadline(&after);
  EXPECT_TRUE(stub->Compute(&after, request, &response).ok());
}

}  // namespace
}  // namespace actserver
