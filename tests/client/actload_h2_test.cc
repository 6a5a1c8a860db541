// actload's h2 engine (client/actload_h2.h): against a real actserver on a
// kernel-chosen port and unix socket, against servers that answer wrongly or
// fail, and against a minimal HTTP/2 server of this file's own (nghttp2's
// server side) that misbehaves in the ways a gRPC client must report: short
// and garbled messages, RST_STREAM, GOAWAY, an HTTP error, a trailers-only
// error. Each failure must be counted with the code gRPC's client gives it.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/actload.h"
#include "client/actload_h2.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "nghttp2/nghttp2.h"
#include "server/server_builder.h"
#include "tests/client/lying_service.h"
#include "tests/socket_probe.h"

namespace activation::client {
namespace {

LoadConfig H2Config(const std::string& target) {
  LoadConfig c;
  c.targets = {target};
  c.engine = LoadEngine::kH2;
  c.concurrency = 4;
  c.warmup = absl::ZeroDuration();
  c.duration = absl::ZeroDuration();
  c.total = 200;
  c.timeout = absl::Seconds(20);
  c.sizes = {{16}, {1}};
  return c;
}

// actserver on 127.0.0.1:0 and on a unix socket, shared by a test suite.
class Actserver {
 public:
  Actserver()
      : socket_((std::filesystem::temp_directory_path() /
                 absl::StrCat("actload_h2_test_", ::getpid(), ".sock"))
                    .string()) {
    auto started = actserver::ActivationServer::Start(
        {.address = "127.0.0.1", .port = 0, .threads = 2,
         .unix_socket = socket_});
    if (started.ok()) server_ = *std::move(started);
    status_ = started.status();
  }
  ~Actserver() {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(5));
    std::filesystem::remove(socket_);
  }
  const absl::Status& status() const { return status_; }
  std::string tcp() const { return absl::StrCat("127.0.0.1:", server_->port()); }
  std::string unix_target() const { return "unix:" + socket_; }

 private:
  const std::string socket_;
  absl::Status status_;
  std::unique_ptr<actserver::ActivationServer> server_;
};

class ActloadH2Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { actserver_ = new Actserver; }
  static void TearDownTestSuite() { delete actserver_; }
  void SetUp() override { ASSERT_TRUE(actserver_->status().ok()) << actserver_->status(); }
  static Actserver* actserver_;
};
Actserver* ActloadH2Test::actserver_ = nullptr;

TEST(ActloadH2TargetTest, ParsesWhatItCanReachAndNamesGrpcForTheRest) {
  auto a = ParseH2Target("127.0.0.1:50051");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "50051");
  a = ParseH2Target("[::1]:7");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->authority, "[::1]:7");
  a = ParseH2Target("dns:///localhost:9");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "localhost");
  a = ParseH2Target("unix:///tmp/x.sock");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->unix_socket);
  EXPECT_EQ(a->path, "/tmp/x.sock");
  a = ParseH2Target("unix:rel.sock");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->path, "rel.sock");
  for (const char* bad : {"ipv4:127.0.0.1:1,127.0.0.1:2", "xds:///svc",
                          "localhost", "host:0", "host:http", "unix:"}) {
    a = ParseH2Target(bad);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(a.status().message().find("--engine=grpc"), std::string::npos)
        << a.status();
  }
}

TEST(ActloadH2EngineTest, AutoPicksH2WherePossibleAndH2NamesTheChoices) {
  LoadConfig c = H2Config("127.0.0.1:1");
  c.engine = LoadEngine::kAuto;
  EXPECT_EQ(*ResolveLoadEngine(c), LoadEngine::kH2);
  c.rpc = LoadRpc::kBatch;
  EXPECT_EQ(*ResolveLoadEngine(c), LoadEngine::kH2);
  c.targets = {"unix:/tmp/s"};
  EXPECT_EQ(*ResolveLoadEngine(c), LoadEngine::kH2);
  const auto needs_grpc = [](LoadConfig c, const std::string& why) {
    c.engine = LoadEngine::kAuto;
    EXPECT_EQ(*ResolveLoadEngine(c), LoadEngine::kGrpc) << why;
    c.engine = LoadEngine::kH2;
    auto e = ResolveLoadEngine(c);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << why;
    EXPECT_NE(e.status().message().find(why), std::string::npos) << e.status();
    EXPECT_NE(e.status().message().find("grpc"), std::string::npos);
  };
  LoadConfig s = H2Config("127.0.0.1:1");
  s.rpc = LoadRpc::kStream;
  needs_grpc(s, "--rpc=stream");
  LoadConfig o = H2Config("127.0.0.1:1");
  o.rps = 10;
  needs_grpc(o, "--rps");
  LoadConfig t = H2Config("127.0.0.1:1");
  t.tls.enabled = true;
  needs_grpc(t, "TLS");
  LoadConfig l = H2Config("ipv4:127.0.0.1:1,127.0.0.1:2");
  needs_grpc(l, "list of addresses");
  EXPECT_EQ(ParseLoadEngine("bogus").status().code(),
            absl::StatusCode::kInvalidArgument);
}

using socket_probe::ClientSendBuffers;

TEST_F(ActloadH2Test, UnixConnectionsGetTheSendBufferAskedForAndVerify) {
  const std::string target = actserver_->unix_target();
  const std::string path = target.substr(std::string("unix:").size());
  // Below the kernel's default (208 KiB), so never capped and never the
  // default; the kernel reports twice what it was given.
  constexpr int kSmall = 120 * 1024;
  for (const int asked : {kSmall, 0}) {
    SCOPED_TRACE(absl::StrCat("unix_send_buffer=", asked));
    LoadConfig c = H2Config(target);
    c.unix_send_buffer = asked;
    c.sizes = {{70000}, {1}};
    c.verify = true;
    c.total = 0;
    c.duration = absl::Seconds(2);
    // Every client socket seen during the run: the h2 connection, and
    // --verify's catalogue fetch over gRPC's own client (the kernel's
    // default buffer: the option is the h2 engine's).
    std::set<int> seen;
    std::thread probe([&] {
      for (int i = 0; i < 150; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        for (const int bytes : ClientSendBuffers(path)) seen.insert(bytes);
      }
    });
    auto r = RunLoad(c);
    probe.join();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_GT(r->ok, 0u);
    EXPECT_EQ(r->errors, 0u) << r->first_error;
    EXPECT_EQ(r->wrong, 0u) << r->first_wrong;
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.count(2 * kSmall), asked > 0 ? 1u : 0u)
        << absl::StrJoin(seen, ",");
  }
  LoadConfig bad = H2Config(target);
  bad.unix_send_buffer = -1;
  EXPECT_EQ(ValidateLoadConfig(bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ActloadH2Test, VerifiedRunsOverTcpAndUnixOnOneAndTwoLoops) {
  for (const std::string& target :
       std::vector<std::string>{actserver_->tcp(), actserver_->unix_target()}) {
    for (const LoadRpc rpc : {LoadRpc::kUnary, LoadRpc::kBatch}) {
      for (const int threads : {0, 2}) {
        SCOPED_TRACE(absl::StrCat(target, " ", LoadRpcName(rpc), " threads=",
                                  threads));
        LoadConfig c = H2Config(target);
        c.rpc = rpc;
        c.threads = threads;
        c.connections = 3;
        c.concurrency = 7;
        c.batch_items = 3;
        c.warmup = absl::Milliseconds(100);
        c.sizes = {{64, 4096, 70000}, {3, 1, 1}};  // 70000: several DATA frames
        c.function = "gelu";
        c.mode = v1::MODE_FORWARD_AND_DERIVATIVE;
        c.verify = true;
        c.total = 40;
        auto r = RunLoad(c);
        ASSERT_TRUE(r.ok()) << r.status();
        EXPECT_EQ(r->engine, LoadEngine::kH2);
        EXPECT_EQ(r->ok, 40u);
        EXPECT_EQ(r->errors, 0u) << r->first_error;
        EXPECT_EQ(r->wrong, 0u) << r->first_wrong;
        EXPECT_GT(r->verified_values, 0u);
        EXPECT_EQ(r->latency.count(), r->ok);
      }
    }
  }
}

// --h2_max_frame_size: the server may then answer in DATA frames up to that
// size, which nghttp2 must accept (a frame over what we announced would be
// FRAME_SIZE_ERROR); responses still verify, over TCP and Unix.
TEST_F(ActloadH2Test, LargerFramesAnnouncedAreReceivedAndVerify) {
  for (const std::string& target :
       std::vector<std::string>{actserver_->tcp(), actserver_->unix_target()}) {
    for (const int frame : {1 << 14, 1 << 20, (1 << 24) - 1}) {
      SCOPED_TRACE(absl::StrCat(target, " h2_max_frame_size=", frame));
      LoadConfig c = H2Config(target);
      c.h2_max_frame_size = frame;
      c.sizes = {{300000, 16}, {1, 1}};  // 1.2 MB responses: many 16 KiB frames
      c.concurrency = 3;
      c.verify = true;
      c.total = 12;
      auto r = RunLoad(c);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->ok, 12u);
      EXPECT_EQ(r->errors, 0u) << r->first_error;
      EXPECT_EQ(r->wrong, 0u) << r->first_wrong;
    }
  }
  for (const int bad : {-1, 1, (1 << 14) - 1, 1 << 24}) {
    LoadConfig c = H2Config(actserver_->tcp());
    c.h2_max_frame_size = bad;
    EXPECT_EQ(ValidateLoadConfig(c).code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(ActloadH2Test, ServerErrorsAreReportedAsTheGrpcEngineReportsThem) {
  // An unknown function and a bad parameter: the server's status and
  // message, from grpc-status / grpc-message, as the gRPC engine sees them.
  for (const auto& [function, param] :
       std::vector<std::pair<std::string, double>>{{"no_such_function", 0},
                                                   {"leaky_relu", -2}}) {
    std::map<std::string, uint64_t> codes[2];
    std::string first[2];
    int i = 0;
    for (const LoadEngine engine : {LoadEngine::kH2, LoadEngine::kGrpc}) {
      LoadConfig c = H2Config(actserver_->tcp());
      c.engine = engine;
      c.total = 20;
      c.function = function;
      if (param != 0) c.params = {{"negative_slope", param}};
      auto r = RunLoad(c);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->ok, 0u);
      EXPECT_EQ(r->errors, 20u);
      codes[i] = r->errors_by_code;
      first[i] = r->first_error;
      ++i;
    }
    EXPECT_EQ(codes[0], codes[1]) << function;
    EXPECT_EQ(first[0], first[1]) << function;
    EXPECT_NE(first[0].find(function), std::string::npos) << first[0];
  }
}

TEST_F(ActloadH2Test, AWrongTargetFailsFastNamingIt) {
  // A port nobody listens on: find one by binding and closing.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  const std::string target = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  auto r = RunLoad(H2Config(target));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find(target), std::string::npos) << r.status();
}

struct GrpcServer {
  explicit GrpcServer(grpc::Service* service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service);
    server = builder.BuildAndStart();
  }
  ~GrpcServer() {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  std::string target() const { return absl::StrCat("127.0.0.1:", port); }
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

TEST(ActloadH2LyingServerTest, DeadlinesAreCountedAndEndTheCall) {
  LyingService service(std::chrono::milliseconds(400));
  GrpcServer server(&service);
  ASSERT_NE(server.server, nullptr);
  LoadConfig c = H2Config(server.target());
  c.total = 8;
  c.timeout = absl::Milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunLoad(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ok, 0u);
  EXPECT_EQ(r->errors, 8u);
  EXPECT_EQ(r->errors_by_code["DEADLINE_EXCEEDED"], 8u) << r->first_error;
  // Two rounds of 4 calls at 100 ms each, not the server's 400 ms.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ActloadH2GoingAwayTest, ServerStoppingMidRunEndsWithErrorsNoHang) {
  auto server = actserver::ActivationServer::Start(
      {.address = "127.0.0.1", .port = 0, .threads = 2});
  ASSERT_TRUE(server.ok()) << server.status();
  LoadConfig c = H2Config(absl::StrCat("127.0.0.1:", (*server)->port()));
  c.total = 0;
  c.duration = absl::Seconds(2);
  c.timeout = absl::Seconds(5);
  const auto start = std::chrono::steady_clock::now();
  auto run = std::async(std::launch::async, [&c] { return RunLoad(c); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  (*server)->Shutdown(absl::Seconds(1));
  ASSERT_EQ(run.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "the run hung after the server went away";
  auto r = run.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->ok, 0u);
  EXPECT_GT(r->errors, 0u);
  EXPECT_GT(r->errors_by_code["UNAVAILABLE"], 0u) << r->first_error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

// ---- A misbehaving HTTP/2 server (nghttp2's server side). ----

enum class Misbehaviour {
  kShortMessage,    // the prefix promises more bytes than arrive
  kCompressed,      // compressed flag set though none was negotiated
  kNoMessage,       // grpc-status 0 without a message
  kTwoMessages,     // a unary call answered twice
  kReset,           // RST_STREAM REFUSED_STREAM
  kHttp503,         // :status 503, no grpc-status
  kTrailersOnly,    // grpc-status 8 in the only header block
  kGoaway,          // GOAWAY (last stream 0) and close
  kNoTrailers,      // DATA with END_STREAM, no grpc-status
};

// One connection at a time; ListActivations answered properly (the probe),
// every Compute as `mode` says.
class FakeH2Server {
 public:
  explicit FakeH2Server(Misbehaviour mode) : mode_(mode) {
    listen_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(listen_, reinterpret_cast<sockaddr*>(&addr), len);
    listen(listen_, 8);
    getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeH2Server() {
    stop_ = true;
    thread_.join();
    close(listen_);
  }
  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  struct Conn {
    FakeH2Server* server;
    nghttp2_session* session = nullptr;
    std::map<int32_t, std::string> paths;
    std::map<int32_t, std::string> bodies;  // what each stream answers
    std::map<int32_t, bool> no_trailers;    // kNoTrailers' Compute streams
    bool close = false;
  };

  static nghttp2_nv Nv(const char* name, const char* value) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
            reinterpret_cast<uint8_t*>(const_cast<char*>(value)),
            std::strlen(name), std::strlen(value), NGHTTP2_NV_FLAG_NONE};
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t id, uint8_t* buf,
                          size_t length, uint32_t* flags,
                          nghttp2_data_source*, void* user) {
    auto* conn = static_cast<Conn*>(user);
    std::string& body = conn->bodies[id];
    const size_t n = std::min(length, body.size());
    std::memcpy(buf, body.data(), n);
    body.erase(0, n);
    if (body.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!conn->no_trailers[id]) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        const nghttp2_nv trailers[] = {Nv("grpc-status", "0")};
        nghttp2_submit_trailer(session, id, trailers, 1);
      }
    }
    return static_cast<ssize_t>(n);
  }

  void Respond(Conn* conn, int32_t id) {
    nghttp2_session* s = conn->session;
    const nghttp2_nv ok[] = {Nv(":status", "200"),
                             Nv("content-type", "application/grpc")};
    nghttp2_data_provider body{};
    body.read_callback = &ReadBody;
    const std::string frame_of_empty("\0\0\0\0\0", 5);
    if (conn->paths[id].find("ListActivations") != std::string::npos) {
      conn->bodies[id] = frame_of_empty;
      nghttp2_submit_response(s, id, ok, 2, &body);
      return;
    }
    switch (mode_) {
      case Misbehaviour::kShortMessage:
        conn->bodies[id] = std::string("\0\0\0\0\x10" "ab", 7);
        break;
      case Misbehaviour::kCompressed:
        conn->bodies[id] = std::string("\1\0\0\0\0", 5);
        break;
      case Misbehaviour::kNoMessage:
        conn->bodies[id] = "";
        break;
      case Misbehaviour::kTwoMessages:
        conn->bodies[id] = frame_of_empty + frame_of_empty;
        break;
      case Misbehaviour::kNoTrailers:
        conn->bodies[id] = frame_of_empty;
        conn->no_trailers[id] = true;
        break;
      case Misbehaviour::kReset:
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id,
                                  NGHTTP2_REFUSED_STREAM);
        return;
      case Misbehaviour::kHttp503: {
        const nghttp2_nv h[] = {Nv(":status", "503")};
        nghttp2_submit_response(s, id, h, 1, nullptr);
        return;
      }
      case Misbehaviour::kTrailersOnly: {
        const nghttp2_nv h[] = {Nv(":status", "200"),
                                Nv("content-type", "application/grpc"),
                                Nv("grpc-status", "8"),
                                Nv("grpc-message", "busy%20now")};
        nghttp2_submit_response(s, id, h, 4, nullptr);
        return;
      }
      case Misbehaviour::kGoaway:
        nghttp2_submit_goaway(s, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR,
                              nullptr, 0);
        conn->close = true;
        return;
    }
    nghttp2_submit_response(s, id, ok, 2, &body);
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                      const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t,
                      void* user) {
    if (std::string_view(reinterpret_cast<const char*>(name), namelen) ==
        ":path") {
      static_cast<Conn*>(user)->paths[frame->hd.stream_id] =
          std::string(reinterpret_cast<const char*>(value), valuelen);
    }
    return 0;
  }
  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame,
                     void* user) {
    auto* conn = static_cast<Conn*>(user);
    if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      conn->server->Respond(conn, frame->hd.stream_id);
    }
    return 0;
  }

  void Serve() {
    while (!stop_) {
      pollfd p{listen_, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      const int fd = accept(listen_, nullptr, nullptr);
      if (fd < 0) continue;
      Conn conn{.server = this};
      nghttp2_session_callbacks* cb;
      nghttp2_session_callbacks_new(&cb);
      nghttp2_session_callbacks_set_on_header_callback(cb, &OnHeader);
      nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &OnFrame);
      nghttp2_session_server_new(&conn.session, cb, &conn);
      nghttp2_session_callbacks_del(cb);
      nghttp2_submit_settings(conn.session, NGHTTP2_FLAG_NONE, nullptr, 0);
      uint8_t buf[16384];
      bool open = true;
      while (open && !stop_) {
        const uint8_t* out;
        ssize_t n;
        while ((n = nghttp2_session_mem_send(conn.session, &out)) > 0) {
          if (send(fd, out, n, MSG_NOSIGNAL) != n) open = false;
        }
        if (conn.close) break;
        pollfd q{fd, POLLIN, 0};
        if (poll(&q, 1, 50) != 1) continue;
        n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0 || nghttp2_session_mem_recv(conn.session, buf, n) < 0) {
          open = false;
        }
      }
      nghttp2_session_del(conn.session);
      close(fd);
    }
  }

  const Misbehaviour mode_;
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Expectation {
  Misbehaviour mode;
  const char* code;
  const char* message;  // a part of the first error
};

class ActloadH2MisbehaviourTest
    : public ::testing::TestWithParam<Expectation> {};

TEST_P(ActloadH2MisbehaviourTest, IsCountedWithGrpcsCode) {
  FakeH2Server server(GetParam().mode);
  LoadConfig c = H2Config(server.target());
  c.total = 12;
  c.timeout = absl::Seconds(10);
  auto r = RunLoad(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ok, 0u);
  EXPECT_EQ(r->errors, 12u);
  EXPECT_EQ(r->errors_by_code[GetParam().code], 12u) << r->first_error;
  EXPECT_NE(r->first_error.find(GetParam().message), std::string::npos)
      << r->first_error;
}

INSTANTIATE_TEST_SUITE_P(
    Modes, ActloadH2MisbehaviourTest,
    ::testing::Values(
        Expectation{Misbehaviour::kShortMessage, "INTERNAL",
                    "prefix says 16 bytes, 2 arrived"},
        Expectation{Misbehaviour::kCompressed, "INTERNAL", "compressed"},
        Expectation{Misbehaviour::kNoMessage, "INTERNAL", "no response message"},
        Expectation{Misbehaviour::kTwoMessages, "INTERNAL", "prefix says 0"},
        Expectation{Misbehaviour::kReset, "UNAVAILABLE", "stream reset"},
        Expectation{Misbehaviour::kHttp503, "UNAVAILABLE", "HTTP status 503"},
        Expectation{Misbehaviour::kTrailersOnly, "RESOURCE_EXHAUSTED",
                    "busy now"},
        Expectation{Misbehaviour::kGoaway, "UNAVAILABLE", ""},
        Expectation{Misbehaviour::kNoTrailers, "INTERNAL",
                    "without grpc-status"}),
    [](const auto& info) { return absl::StrCat("Mode", info.index); });

}  // namespace
}  // namespace activation::client
