// What the server owns, through a real server: bytes that do not parse, the
// memory budget, the compute queue, Unix sockets, and health under overload.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "activation/v1/activation.grpc.pb.h"
#include "server/server_builder.h"
#include "tests/integration/grpc_probes.h"
#include "tests/integration/local_server.h"
#include "tests/server/server_test_util.h"
#include "tests/socket_probe.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::CheckHealth;
using ::actserver::testing::ComputeWithDeadline;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MatchesReference;
using ::actserver::testing::RawStreamCall;
using ::actserver::testing::RawUnaryCall;
using ::actserver::testing::ServingStatus;
using ::actserver::testing::SetDeadline;
using ::actserver::testing::StartLocalServer;
using ::actserver::testing::StatusIs;
using ::actserver::testing::WireType;

constexpr char kCompute[] = "/activation.v1.ActivationService/Compute";
constexpr char kBatch[] = "/activation.v1.ActivationService/ComputeBatch";
constexpr char kStream[] = "/activation.v1.ActivationService/ComputeStream";
constexpr char kList[] = "/activation.v1.ActivationService/ListActivations";

std::shared_ptr<grpc::Channel> Connect(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

TEST(ParseErrorsTest, UnparseableRequestsAreInvalidArgument) {
  std::unique_ptr<ActivationServer> server = StartLocalServer();
  ASSERT_NE(server, nullptr);
  auto channel = Connect(server->target());
  const std::string valid =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kRawFloat32, {1, 2})
          .SerializeAsString();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"0xff garbage", std::string(64, '\xff')},
      {"truncated", valid.substr(0, valid.size() - 2)},
      {"non-UTF-8 function", std::string("\x12\x02\xc3\x28", 4)},
  };
  for (const auto& [name, bytes] : bad) {
    std::string response;
    EXPECT_TRUE(StatusIs(RawUnaryCall(channel, kCompute, bytes, &response),
                         grpc::StatusCode::INVALID_ARGUMENT,
                         {"request: not a valid activation.v1.ComputeRequest"}))
        << name;
    // A batch whose only item is these bytes.
    std::string batch = "\x0a";
    batch.push_back(static_cast<char>(bytes.size()));
    batch += bytes;
    EXPECT_TRUE(StatusIs(RawUnaryCall(channel, kBatch, batch, &response),
                         grpc::StatusCode::INVALID_ARGUMENT,
                         {"not a valid activation.v1.ComputeBatchRequest",
                          "items[0]"}))
        << name;
  }
  std::string response;
  EXPECT_TRUE(StatusIs(RawUnaryCall(channel, kList, std::string(8, '\xff'), &response),
                       grpc::StatusCode::INVALID_ARGUMENT,
                       {"not a valid activation.v1.ListActivationsRequest"}));
  ASSERT_TRUE(RawUnaryCall(channel, kList, "", &response).ok());
  v1::ListActivationsResponse catalog;
  ASSERT_TRUE(catalog.ParseFromString(response));
  EXPECT_GT(catalog.activations_size(), 0);
}

TEST(ParseErrorsTest, StreamAnswersEveryMessageEvenOneThatDoesNotParse) {
  std::unique_ptr<ActivationServer> server = StartLocalServer();
  ASSERT_NE(server, nullptr);
  auto channel = Connect(server->target());
  std::vector<v1::ComputeRequest> requests;
  std::vector<std::string> messages;
  for (int i = 0; i < 10; ++i) {
    requests.push_back(MakeRequest("tanh", v1::MODE_FORWARD, WireType::kFloat32,
                                   {0.5 * i, -1.0 * i}));
    requests.back().set_id(absl::StrCat("m", i));
    messages.push_back(requests.back().SerializeAsString());
  }
  messages[2] = std::string(20, '\xff');  // message 3 of 10
  std::vector<std::string> replies;
  const grpc::Status status = RawStreamCall(channel, kStream, messages, &replies);
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(replies.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    v1::ComputeStreamResponse reply;
    ASSERT_TRUE(reply.ParseFromString(replies[i])) << i;
    if (i == 2) {
      EXPECT_EQ(reply.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_NE(reply.error().message().find("not a valid activation.v1.ComputeRequest"),
                std::string::npos);
      EXPECT_FALSE(reply.has_response());
    } else {
      EXPECT_EQ(reply.id(), absl::StrCat("m", i));
      EXPECT_TRUE(MatchesReference(requests[i], reply.response())) << i;
    }
  }
}

TEST(ParseErrorsTest, HugeNamesGetAShortInvalidArgument) {
  std::unique_ptr<ActivationServer> server = StartLocalServer();
  ASSERT_NE(server, nullptr);
  auto stub = v1::ActivationService::NewStub(Connect(server->target()));
  v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1});
  request.set_function(std::string(1 << 20, 'x'));
  v1::ComputeResponse response;
  const grpc::Status status = ComputeWithDeadline(*stub, request, &response);
  EXPECT_TRUE(StatusIs(status, grpc::StatusCode::INVALID_ARGUMENT,
                       {"function: unknown activation", "(1048576 bytes)"}));
  EXPECT_LT(status.error_message().size(), 1000u);
}

// `clients` threads each send `calls` requests of `values` float32 values;
// counts the outcomes and checks each client's first answer in full.
struct LoadResult {
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::string refused_message;
  std::string other_message;
};

void RunLoad(const std::string& target, int clients, int calls, int values,
             LoadResult* result) {
  std::vector<std::thread> threads;
  std::mutex mu;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = v1::ActivationService::NewStub(Connect(target));
      std::vector<double> x(values);
      for (int i = 0; i < values; ++i) x[i] = (i % 200) * 0.05 - 5 + c;
      const v1::ComputeRequest request =
          MakeRequest("sigmoid", v1::MODE_FORWARD, WireType::kRawFloat32, x);
      bool checked = false;
      for (int i = 0; i < calls; ++i) {
        v1::ComputeResponse response;
        const grpc::Status status =
            ComputeWithDeadline(*stub, request, &response);
        std::lock_guard<std::mutex> lock(mu);
        if (status.ok()) {
          ++result->ok;
          if (!checked) {
            EXPECT_TRUE(MatchesReference(request, response));
          }
          checked = true;
        } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++result->refused;
          result->refused_message = status.error_message();
        } else {
          ++result->other;
          result->other_message = status.error_message();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
}

TEST(MemoryBudgetTest, ACallLargerThanTheWholeBudgetIsRefused) {
  ServerOptions options;
  options.memory_budget = 16 << 20;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->memory_budget(), 16u << 20);
  auto stub = v1::ActivationService::NewStub(Connect(server->target()));
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::ComputeResponse response;
  // 3 Mi float32: a 12 MiB request and a 12 MiB response.
  const grpc::Status status = stub->Compute(
      &context,
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kRawFloat32,
                  std::vector<double>(3 << 20, 1.0)),
      &response);
  EXPECT_TRUE(StatusIs(status, grpc::StatusCode::RESOURCE_EXHAUSTED,
                       {"memory budget: this call needs 24.0 MiB",
                        "more than this server's whole budget of 16.0 MiB"}));
}

// 12 clients x 6 concurrent 1 Mi calls against a budget that holds only a
// few: some refused for memory, the rest served, nothing else; the budget's
// peak within its limit; once every call is over, only the pool's idle
// buffers remain charged.
void LoadBeyondTheBudget(const ActivationServer& server) {
  LoadResult result;
  RunLoad(server.target(), 12, 6, 1 << 20, &result);
  EXPECT_EQ(result.other.load(), 0) << result.other_message;
  EXPECT_GT(result.ok.load(), 0);
  EXPECT_GT(result.refused.load(), 0);
  EXPECT_NE(result.refused_message.find("memory budget"), std::string::npos)
      << result.refused_message;
  const ActivationServiceImpl& service = server.service();
  EXPECT_LE(service.budget().peak(), service.budget().limit());
  for (int i = 0; i < 100 && service.budget().used() != service.pool().idle_bytes(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(service.budget().used(), service.pool().idle_bytes());
}

TEST(MemoryBudgetTest, ConcurrentCallsBeyondTheBudgetAreRefusedAndTheRestServed) {
  ServerOptions options;
  // A 1 Mi call holds its 4 MiB request and a 4 MiB (+ 4 KiB) response
  // buffer: four at a time, and one buffer kept idle (an eighth of 40 MiB).
  options.memory_budget = 40 << 20;
  options.threads = 1;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  LoadBeyondTheBudget(*server);
  const ActivationServiceImpl& service = server->service();
  EXPECT_GT(service.admission().refused_memory(), 0u);
  EXPECT_GT(service.pool().reused(), 0u);  // buffers were recycled
}

// A Compute call that sends nothing until told: its request is being
// "received" for as long as the test likes.
class HeldCall final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  HeldCall(const std::shared_ptr<grpc::Channel>& channel, const char* method)
      : stub_(channel) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    stub_.PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(),
                                   this);
    StartCall();
  }
  // Half-closes without having sent a message.
  void Release() { StartWritesDone(); }
  grpc::Status Wait() { return done_.get_future().get(); }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }

 private:
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  std::promise<grpc::Status> done_;
};

TEST(MemoryBudgetTest, ARequestIsReadOnlyWhenTheBudgetHasRoomForIt) {
  ServerOptions options;
  options.memory_budget = 64 << 20;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  const ActivationServiceImpl& service = server->service();
  auto channel = Connect(server->target());
  auto stub = v1::ActivationService::NewStub(channel);
  auto compute = [&](std::size_t values) {
    v1::ComputeResponse response;
    return ComputeWithDeadline(*stub, MakeRequest("relu", v1::MODE_FORWARD,
                                     WireType::kRawFloat32,
                                     std::vector<double>(values, 1.0)),
                         &response);
  };
  // Requests of 8 MiB lately: a read claims room for 8 MiB (and a little)
  // and as much for its response.
  ASSERT_TRUE(compute(2 << 20).ok());
  const std::size_t estimate = service.admission().read_estimate();
  ASSERT_GT(estimate, 8u << 20);
  ASSERT_LT(estimate, 9u << 20);
  // Three calls whose requests are being received fill the budget...
  std::vector<std::unique_ptr<HeldCall>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<HeldCall>(channel, kCompute));
  }
  for (int i = 0; i < 500 && service.budget().used() < 6 * estimate; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(service.budget().used(), 6 * estimate);
  // ...so the next is refused before a byte of its request is taken, even a
  // small one, saying why.
  EXPECT_TRUE(StatusIs(compute(16), grpc::StatusCode::RESOURCE_EXHAUSTED,
                       {"memory budget", "no room to receive this call's "
                        "request", "recent requests: up to 8.0 MiB",
                        "--memory_budget"}));
  EXPECT_EQ(service.admission().refused_before_read(), 1u);
  EXPECT_EQ(service.admission().refused_memory(), 1u);
  // A call that ends without sending its request is told so, and gives its
  // claim back.
  for (auto& call : held) call->Release();
  for (auto& call : held) {
    EXPECT_TRUE(StatusIs(call->Wait(), grpc::StatusCode::INVALID_ARGUMENT,
                         {"no activation.v1.ComputeRequest message was "
                          "sent"}));
  }
  EXPECT_TRUE(compute(16).ok());
  for (int i = 0; i < 100 && service.budget().used() != service.pool().idle_bytes(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(service.budget().used(), service.pool().idle_bytes());
}

// Without the read gate (--read_gate=false) gRPC receives a Compute request
// before the service sees the call: a call that has sent no message yet
// claims nothing from the budget and is not counted as reading (a drain does
// not wait for it), while ComputeBatch stays gated. The budget still refuses
// what it cannot hold, once received, and calls are served as before.
TEST(MemoryBudgetTest, WithoutTheReadGateComputeIsAdmittedOnceReceived) {
  ServerOptions options;
  options.memory_budget = 40 << 20;
  options.read_gate = false;
  options.threads = 1;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  const ActivationServiceImpl& service = server->service();
  auto channel = Connect(server->target());
  auto stub = v1::ActivationService::NewStub(channel);
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ComputeResponse response;
    const v1::ComputeRequest request = MakeRequest(
        "relu", v1::MODE_FORWARD, WireType::kRawFloat32, {-1.0, 2.0});
    ASSERT_TRUE(stub->Compute(&context, request, &response).ok());
    EXPECT_TRUE(MatchesReference(request, response));
  }
  const std::size_t idle = service.pool().idle_bytes();
  HeldCall compute(channel, kCompute);
  HeldCall batch(channel, kBatch);
  // The batch call's read claims its estimate; the Compute call nothing.
  for (int i = 0; i < 500 && service.budget().used() == idle; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // One read's claim (room for the request and its response), not two.
  const std::size_t estimate = service.admission().read_estimate();
  EXPECT_GE(service.budget().used(), idle + 2 * estimate);
  EXPECT_LT(service.budget().used(), idle + 4 * estimate);
  compute.Release();
  batch.Release();
  // gRPC never hands the service a unary call that sent no message: it
  // fails it itself; the gated batch call is told by the service.
  EXPECT_FALSE(compute.Wait().ok());
  EXPECT_TRUE(StatusIs(batch.Wait(), grpc::StatusCode::INVALID_ARGUMENT,
                       {"no activation.v1.ComputeBatchRequest message was "
                        "sent"}));
  // Concurrent 1 Mi calls beyond the budget: refused once received, the
  // rest served, the peak within the limit.
  LoadBeyondTheBudget(*server);
  EXPECT_EQ(service.admission().refused_before_read(), 0u);
}

TEST(AdmissionTest, AFullComputeQueueRefusesAtOnce) {
  ServerOptions options;
  options.threads = 1;
  options.max_queued_elements = 1 << 20;  // one 1 Mi call at a time
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  LoadResult result;
  RunLoad(server->target(), 8, 4, 1 << 20, &result);
  EXPECT_EQ(result.other.load(), 0) << result.other_message;
  EXPECT_GT(result.ok.load(), 0);
  EXPECT_GT(result.refused.load(), 0);
  EXPECT_NE(result.refused_message.find("compute queue full"), std::string::npos)
      << result.refused_message;
  EXPECT_GT(server->service().admission().refused_queue(), 0u);
}

TEST(UnixSocketTest, ServesOnAUnixSocketBesideTcp) {
  const std::string path = absl::StrCat(::testing::TempDir(), "actserver-",
                                        getpid(), ".sock");
  ServerOptions options;
  options.unix_socket = path;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  for (const std::string& target : {"unix:" + path, server->target()}) {
    auto channel = Connect(target);
    auto stub = v1::ActivationService::NewStub(channel);
    const v1::ComputeRequest request =
        MakeRequest("gelu", v1::MODE_FORWARD_AND_DERIVATIVE, WireType::kRawFloat64,
                    std::vector<double>(100000, 0.25));
    v1::ComputeResponse response;
    ASSERT_TRUE(ComputeWithDeadline(*stub, request, &response).ok()) << target;
    EXPECT_TRUE(MatchesReference(request, response)) << target;
    ServingStatus health = ServingStatus::kUnknown;
    ASSERT_TRUE(CheckHealth(channel, "", &health).ok()) << target;
    EXPECT_EQ(health, ServingStatus::kServing);
  }
  server.reset();
  // A second server replaces a stale socket file left behind.
  std::unique_ptr<ActivationServer> again = StartLocalServer(options);
  ASSERT_NE(again, nullptr);
  std::remove(path.c_str());
}

// SO_SNDBUF of this process's connected (or, `listening`, listening) sockets
// whose own address (getsockname) `is_ours` accepts: a server's end of its
// connections, since the client's end has another address (unnamed over a
// Unix socket, an ephemeral port over TCP).
std::vector<int> SendBuffersOfSockets(
    const std::function<bool(const sockaddr_storage&)>& is_ours,
    bool listening) {
  return socket_probe::SendBuffersOf([&](int fd) {
    int accepting = 0;
    socklen_t size = sizeof(accepting);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &size) != 0 ||
        (accepting != 0) != listening) {
      return false;  // not a socket, or not the kind asked for
    }
    sockaddr_storage name{};
    socklen_t length = sizeof(name);
    return getsockname(fd, reinterpret_cast<sockaddr*>(&name), &length) == 0 &&
           is_ours(name);
  });
}

std::function<bool(const sockaddr_storage&)> UnixPathIs(const std::string& path) {
  return [path](const sockaddr_storage& name) {
    return name.ss_family == AF_UNIX &&
           reinterpret_cast<const sockaddr_un&>(name).sun_path == path;
  };
}

std::function<bool(const sockaddr_storage&)> TcpPortIs(int port) {
  // gRPC listens on 127.0.0.1 through a dual-stack IPv6 socket when it can.
  return [port](const sockaddr_storage& name) {
    if (name.ss_family == AF_INET) {
      return ntohs(reinterpret_cast<const sockaddr_in&>(name).sin_port) == port;
    }
    return name.ss_family == AF_INET6 &&
           ntohs(reinterpret_cast<const sockaddr_in6&>(name).sin6_port) == port;
  };
}

using socket_probe::ReadSysctl;

TEST(UnixSocketTest, TheUnixListenerSetsItsConnectionsSendBuffer) {
  const std::string path = absl::StrCat(::testing::TempDir(), "actserver-sndbuf-",
                                        getpid(), ".sock");
  const int wmem_default = ReadSysctl("/proc/sys/net/core/wmem_default");
  const int wmem_max = ReadSysctl("/proc/sys/net/core/wmem_max");
  ASSERT_GT(wmem_default, 0);
  ASSERT_GT(wmem_max, 0);
  // The kernel caps at wmem_max and reports twice what it accepted. 120 KiB
  // is below any default, so it differs from what the socket would have had.
  const int small = 120 * 1024;
  struct Case {
    int option;
    int expected;
  };
  for (const Case& c : {Case{small, 2 * small},
                        Case{ServerOptions{}.unix_send_buffer,
                             2 * std::min(ServerOptions{}.unix_send_buffer,
                                          wmem_max)},
                        Case{0, wmem_default}}) {
    SCOPED_TRACE(absl::StrCat("unix_send_buffer=", c.option));
    ServerOptions options;
    options.unix_socket = path;
    options.unix_send_buffer = c.option;
    std::unique_ptr<ActivationServer> server = StartLocalServer(options);
    ASSERT_NE(server, nullptr);
    auto channel = Connect("unix:" + path);
    auto stub = v1::ActivationService::NewStub(channel);
    const v1::ComputeRequest request =
        MakeRequest("sigmoid", v1::MODE_FORWARD, WireType::kRawFloat32,
                    std::vector<double>(1 << 20, 0.5));
    v1::ComputeResponse response;
    ASSERT_TRUE(ComputeWithDeadline(*stub, request, &response).ok());
    EXPECT_TRUE(MatchesReference(request, response));
    EXPECT_EQ(SendBuffersOfSockets(UnixPathIs(path), /*listening=*/false),
              std::vector<int>{c.expected});
    // TCP keeps the kernel's autotuning: never the Unix value.
    auto tcp = v1::ActivationService::NewStub(Connect(server->target()));
    grpc::ClientContext tcp_context;
    SetDeadline(&tcp_context);
    v1::ComputeResponse tcp_response;
    ASSERT_TRUE(tcp->Compute(&tcp_context, request, &tcp_response).ok());
    const std::vector<int> tcp_buffers =
        SendBuffersOfSockets(TcpPortIs(server->port()), /*listening=*/false);
    ASSERT_EQ(tcp_buffers.size(), 1u);
    if (c.option != 0) {
      EXPECT_NE(tcp_buffers[0], c.expected);
    }
    server.reset();
  }
  std::remove(path.c_str());
}

TEST(UnixSocketTest, ASendBufferOutOfRangeIsRefusedByName) {
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.unix_send_buffer = -1;
  absl::StatusOr<std::unique_ptr<ActivationServer>> server =
      ActivationServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.status().message(),
            "unix_send_buffer: -1 is outside [0, 67108864] bytes");
}

// --grpc_arg reaches gRPC, over the server's own arguments: a metadata size
// limit is observable from a client, unlike the transport's window sizes.
TEST(GrpcIntArgsTest, AreSetOnTheServersChannel) {
  const v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kRawFloat32,
                  std::vector<double>(16, 0.5));
  for (const bool limited : {false, true}) {
    SCOPED_TRACE(limited ? "grpc.max_metadata_size=1024" : "defaults");
    ServerOptions options;
    if (limited) options.grpc_int_args = {{"grpc.max_metadata_size", 1024}};
    std::unique_ptr<ActivationServer> server = StartLocalServer(options);
    ASSERT_NE(server, nullptr);
    auto stub = v1::ActivationService::NewStub(Connect(server->target()));
    grpc::ClientContext context;
    SetDeadline(&context);
    context.AddMetadata("x-padding", std::string(2048, 'p'));
    v1::ComputeResponse response;
    const grpc::Status status = stub->Compute(&context, request, &response);
    EXPECT_EQ(status.ok(), !limited) << status.error_message();
  }
}

TEST(GrpcIntArgsTest, ParsesNameEqualsInteger) {
  absl::StatusOr<std::pair<std::string, int>> arg =
      ParseGrpcIntArg("grpc.http2.lookahead_bytes=4194304");
  ASSERT_TRUE(arg.ok()) << arg.status();
  EXPECT_EQ(arg->first, "grpc.http2.lookahead_bytes");
  EXPECT_EQ(arg->second, 4194304);
  for (const char* bad : {"grpc.http2.bdp_probe", "grpc.x=1.5", "lookahead=1",
                          "grpc.x=99999999999", "=1"}) {
    EXPECT_EQ(ParseGrpcIntArg(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.grpc_int_args = {{"http2.lookahead_bytes", 1}};
  const absl::StatusOr<std::unique_ptr<ActivationServer>> server =
      ActivationServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("grpc_arg"), std::string::npos)
      << server.status();
}

TEST(UnixSocketTest, AnUnusablePathIsAClearError) {
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.unix_socket = "/nonexistent-dir/actserver.sock";
  absl::StatusOr<std::unique_ptr<ActivationServer>> server =
      ActivationServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.status().message(),
            "cannot listen on unix:/nonexistent-dir/actserver.sock: directory "
            "/nonexistent-dir does not exist or is not writable");
}

TEST(OverloadTest, HealthAnswersWhileComputeIsSaturated) {
  ServerOptions options;
  options.memory_budget = 64 << 20;
  std::unique_ptr<ActivationServer> server = StartLocalServer(options);
  ASSERT_NE(server, nullptr);
  std::atomic<bool> done{false};
  std::vector<double> latencies_ms;
  std::thread prober([&] {
    auto channel = Connect(server->target());
    while (!done.load()) {
      const auto start = std::chrono::steady_clock::now();
      ServingStatus health = ServingStatus::kUnknown;
      // Generous on purpose (a timed unit test must not be flaky): it fails
      // only if health waits behind the computations, as it once did for
      // seconds.
      const grpc::Status status =
          CheckHealth(channel, "", &health, std::chrono::seconds(3));
      EXPECT_TRUE(status.ok()) << status.error_message();
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(
                                 std::chrono::steady_clock::now() - start)
                                 .count());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  LoadResult result;
  RunLoad(server->target(), 24, 8, 1 << 20, &result);
  done = true;
  prober.join();
  EXPECT_EQ(result.other.load(), 0) << result.other_message;
  ASSERT_FALSE(latencies_ms.empty());
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("health checks: %zu, p50 %.1f ms, max %.1f ms; calls ok %d, refused %d\n",
              latencies_ms.size(), latencies_ms[latencies_ms.size() / 2],
              latencies_ms.back(), result.ok.load(), result.refused.load());
}

}  // namespace
}  // namespace actserver
