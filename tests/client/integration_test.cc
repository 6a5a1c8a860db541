// The client library, actctl and actload against a real server started in
// this process on a kernel-chosen port (and the actctl/actload binaries
// against it). Every call carries a deadline.
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "activations/catalog.h"
#include "client/activation_client.h"
#include "client/actctl.h"
#include "client/actload.h"
#include "client/actload_report.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/client/lying_service.h"
#include "tests/socket_probe.h"
#include "server/server_builder.h"

namespace activation::client {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(20);

// Runs a shell command; returns its exit status and stdout (stderr too when
// the command redirects it).
int Shell(const std::string& command, std::string* output) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  output->clear();
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output->append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          absl::StrCat("client_integration_", ::getpid(), "_", name))
      .string();
}

class ClientIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = actserver::ActivationServer::Start(
        {.address = "127.0.0.1", .port = 0, .threads = 2});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    target_ = new std::string(absl::StrCat("127.0.0.1:", server_->port()));
  }
  static void TearDownTestSuite() {
    server_->Shutdown(absl::Seconds(5));
    delete server_;
    delete target_;
  }
  void SetUp() override {
    auto client = ActivationClient::Create({.target = *target_, .timeout = kTimeout});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  int Actctl(ActctlArgs args, std::string* out, std::string* err,
             const std::string& stdin_text = "") {
    args.target = *target_;
    std::istringstream in(stdin_text);
    std::ostringstream o, e;
    const int rc = RunActctl(args, in, o, e);
    *out = o.str();
    *err = e.str();
    return rc;
  }

  static actserver::ActivationServer* server_;
  static std::string* target_;
  std::unique_ptr<ActivationClient> client_;
};
actserver::ActivationServer* ClientIntegrationTest::server_ = nullptr;
std::string* ClientIntegrationTest::target_ = nullptr;

// ---- The library. ----

TEST_F(ClientIntegrationTest, TypedComputeFloat) {
  const std::vector<float> x = {-1, 0, 1};
  auto y = client_->Compute<float>({.function = "sigmoid"}, x);
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ(y->output.size(), 3u);
  EXPECT_EQ(y->output[1], 0.5f);
  EXPECT_NEAR(y->output[2], 1 / (1 + std::exp(-1.0)), 1e-7);
  EXPECT_GT(y->max_ulp_error, 0);
}

TEST_F(ClientIntegrationTest, TypedComputeBothInFloat64Packed) {
  const std::vector<double> x = {-10};
  auto y = client_->Compute<double>(
      {.function = "tanh", .mode = v1::MODE_FORWARD_AND_DERIVATIVE,
       .encoding = Encoding::kPacked},
      x);
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ(y->derivative.size(), 1u);
  // tanh'(-10) = 4 / (e^10 + e^-10)^2 ~ 8.2446e-9 (not 0 as 1 - tanh^2 gives).
  const double want = 4 / std::pow(std::exp(10.0) + std::exp(-10.0), 2);
  EXPECT_NEAR(y->derivative[0] / want, 1, 1e-12);
}

TEST_F(ClientIntegrationTest, ServerErrorsComeBackWithTheirMessage) {
  const std::vector<float> x = {1};
  auto y = client_->Compute<float>(
      {.function = "softplus", .params = {{"beta", -1}}}, x);
  EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(y.status().message().find("beta"), absl::string_view::npos)
      << y.status();
}

TEST_F(ClientIntegrationTest, BatchKeepsOrder) {
  const std::vector<float> x = {-2, 2};
  v1::ComputeBatchRequest batch;
  for (const char* f : {"relu", "sigmoid", "tanh"}) {
    *batch.add_items() = MakeRequest<float>({.function = f}, x);
  }
  auto r = client_->ComputeBatch(batch);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->items_size(), 3);
  EXPECT_EQ(*TensorValues<float>(r->items(0).output()), std::vector<float>({0, 2}));
  EXPECT_NEAR((*TensorValues<float>(r->items(1).output()))[1], 0.8807971, 1e-6);
  EXPECT_NEAR((*TensorValues<float>(r->items(2).output()))[0], -0.9640276, 1e-6);
}

TEST_F(ClientIntegrationTest, StreamGoesOnAfterABadMessage) {
  const std::vector<float> x = {1};
  std::vector<v1::ComputeRequest> requests = {
      MakeRequest<float>({.function = "relu"}, x),
      MakeRequest<float>({.function = "no_such"}, x),
      MakeRequest<float>({.function = "elu"}, x)};
  for (int i = 0; i < 3; ++i) requests[i].set_id(absl::StrCat("m", i));
  auto r = client_->ComputeStream(requests);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*r)[i].id(), absl::StrCat("m", i));
  EXPECT_FALSE((*r)[0].has_error());
  EXPECT_EQ((*r)[1].error().code(), 3);  // INVALID_ARGUMENT
  EXPECT_NE((*r)[1].error().message().find("no_such"), std::string::npos);
  EXPECT_EQ(*TensorValues<float>((*r)[2].response().output()),
            std::vector<float>({1}));
}

TEST_F(ClientIntegrationTest, AsyncCompute) {
  const std::vector<double> x = {0.5};
  auto request = std::make_shared<const v1::ComputeRequest>(
      MakeRequest<double>({.function = "relu"}, x));
  std::promise<absl::StatusOr<v1::ComputeResponse>> done;
  client_->ComputeAsync(request, [&](absl::StatusOr<v1::ComputeResponse> r) {
    done.set_value(std::move(r));
  });
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  auto r = future.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*TensorValues<double>(r->output()), std::vector<double>({0.5}));
}

// A call that cannot finish in time: 4 Mi float64 values (32 MiB each way)
// take far longer than 1 ms. (A 1 ns deadline on a tiny call was flaky: the
// call could complete before gRPC's timer noticed.)
TEST_F(ClientIntegrationTest, DeadlineIsHonoured) {
  const std::vector<double> x(std::size_t{1} << 22, 0.25);
  auto r = client_->Compute<double>({.function = "gelu"}, x, {}, {.timeout = absl::Milliseconds(1)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
}

TEST_F(ClientIntegrationTest, Health) {
  EXPECT_EQ(*client_->Health(), HealthStatus::kServing);
  EXPECT_EQ(*client_->Health("activation.v1.ActivationService"),
            HealthStatus::kServing);
  EXPECT_EQ(*client_->Health("no.such.Service"), HealthStatus::kServiceUnknown);
}

TEST_F(ClientIntegrationTest, RoundRobinListSurvivesADeadReplica) {
  // One live replica and one address where nothing listens: round_robin
  // sends to the ready one and the retry policy covers the dead one.
  auto client = ActivationClient::Create(
      {.target = absl::StrCat(*target_, ",127.0.0.1:1"), .timeout = kTimeout});
  ASSERT_TRUE(client.ok()) << client.status();
  const std::vector<float> x = {1, 2};
  for (int i = 0; i < 20; ++i) {
    auto r = (*client)->Compute<float>({.function = "relu"}, x);
    ASSERT_TRUE(r.ok()) << "call " << i << ": " << r.status();
  }
}

using socket_probe::ClientSendBuffers;
using socket_probe::ReadSysctl;

TEST(ClientUnixSocketTest, TheClientSetsItsConnectionsSendBuffer) {
  const std::string path = TempPath("sndbuf.sock");
  const int wmem_default = ReadSysctl("/proc/sys/net/core/wmem_default");
  const int wmem_max = ReadSysctl("/proc/sys/net/core/wmem_max");
  ASSERT_GT(wmem_default, 0);
  ASSERT_GT(wmem_max, 0);
  // The server keeps the kernel's default on its end, so only the client's
  // option can change what the client's socket reports.
  auto server = actserver::ActivationServer::Start(
      {.address = "127.0.0.1", .port = 0, .threads = 2,
       .unix_socket = path, .unix_send_buffer = 0});
  ASSERT_TRUE(server.ok()) << server.status();
  // The kernel caps at wmem_max and reports twice what it accepted; 120 KiB
  // is below any default, so it differs from what the socket would have had.
  const int small = 120 * 1024;
  struct Case {
    int option;
    int expected;
  };
  for (const Case& c :
       {Case{small, 2 * small},
        Case{ClientOptions{}.unix_send_buffer,
             2 * std::min(ClientOptions{}.unix_send_buffer, wmem_max)},
        Case{0, wmem_default}}) {
    SCOPED_TRACE(absl::StrCat("unix_send_buffer=", c.option));
    auto client = ActivationClient::Create({.target = "unix:" + path,
                                            .timeout = kTimeout,
                                            .own_connections = true,
                                            .unix_send_buffer = c.option});
    ASSERT_TRUE(client.ok()) << client.status();
    // 1 Mi float32 values: a 4 MiB request through the client's buffer.
    const std::vector<float> x(std::size_t{1} << 20, 0.5f);
    auto y = (*client)->Compute<float>({.function = "sigmoid"}, x);
    ASSERT_TRUE(y.ok()) << y.status();
    ASSERT_EQ(y->output.size(), x.size());
    EXPECT_FLOAT_EQ(y->output[0], 1 / (1 + std::exp(-0.5f)));
    EXPECT_EQ(ClientSendBuffers(path), std::vector<int>{c.expected});
    client->reset();
    // The connection closes with its channel; wait so the next case sees
    // only its own.
    for (int i = 0; i < 200 && !ClientSendBuffers(path).empty(); ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(ClientSendBuffers(path).empty());
  }
  (*server)->Shutdown(absl::Seconds(5));
  std::remove(path.c_str());
}

TEST_F(ClientIntegrationTest, ASendBufferOutOfRangeIsRefusedByName) {
  for (const int bad : {-1, (64 << 20) + 1}) {
    auto client = ActivationClient::Create(
        {.target = *target_, .unix_send_buffer = bad});
    ASSERT_FALSE(client.ok()) << bad;
    EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(client.status().message(),
              absl::StrCat("unix_send_buffer: ", bad,
                           " is outside [0, 67108864] bytes"));
    // actctl passes its --unix_send_buffer to the library (a bad option is a
    // bad command line).
    std::string out, err;
    EXPECT_EQ(Actctl({.command = "health", .unix_send_buffer = bad}, &out, &err),
              kExitUsage);
    EXPECT_NE(err.find("unix_send_buffer"), std::string::npos) << err;
  }
}

// ---- actctl. ----

TEST_F(ClientIntegrationTest, ActctlListTableAndJson) {
  std::string out, err;
  ASSERT_EQ(Actctl({.command = "list"}, &out, &err), kExitOk) << err;
  for (const auto& spec : activations::Catalog()) {
    EXPECT_NE(out.find(std::string(spec.name)), std::string::npos) << spec.name;
  }
  ASSERT_EQ(Actctl({.command = "list", .json = true}, &out, &err), kExitOk) << err;
  v1::ListActivationsResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out, &parsed).ok()) << out;
  EXPECT_EQ(parsed.activations_size(),
            static_cast<int>(activations::Catalog().size()));
}

TEST_F(ClientIntegrationTest, ActctlCompute) {
  std::string out, err;
  ASSERT_EQ(Actctl({.command = "compute", .operands = {"relu"},
                    .values = "-1,2", .grad = "10,10", .mode = "backward"},
                   &out, &err),
            kExitOk)
      << err;
  EXPECT_NE(out.find("grad*f'(x)"), std::string::npos) << out;
  // relu'(-1) * 10 = 0, relu'(2) * 10 = 10.
  EXPECT_NE(out.find("-1               10               0"), std::string::npos) << out;
  EXPECT_NE(out.find("2                10               10"), std::string::npos) << out;

  // Values from stdin, JSON out.
  ASSERT_EQ(Actctl({.command = "compute", .operands = {"sigmoid"}, .json = true,
                    .dtype = "f64"},
                   &out, &err, "0\n"),
            kExitOk)
      << err;
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out, &json).ok()) << out;
  EXPECT_EQ(json.fields().at("output").list_value().values(0).number_value(), 0.5);
}

TEST_F(ClientIntegrationTest, ActctlPrintsTheServersErrorAndFails) {
  std::string out, err;
  EXPECT_EQ(Actctl({.command = "compute", .operands = {"softplus"},
                    .values = "1", .params = {"beta=-1"}},
                   &out, &err),
            kExitFailure);
  EXPECT_NE(err.find("INVALID_ARGUMENT"), std::string::npos) << err;
  EXPECT_NE(err.find("beta"), std::string::npos) << err;
  EXPECT_EQ(Actctl({.command = "compute", .operands = {"nope"}, .values = "1"},
                   &out, &err),
            kExitFailure);
  EXPECT_NE(err.find("nope"), std::string::npos) << err;
}

TEST_F(ClientIntegrationTest, ActctlHealth) {
  std::string out, err;
  EXPECT_EQ(Actctl({.command = "health"}, &out, &err), kExitOk) << err;
  EXPECT_EQ(out, "SERVING\n");
  EXPECT_EQ(Actctl({.command = "health", .service = "x.Y"}, &out, &err),
            kExitFailure);
  EXPECT_EQ(out, "SERVICE_UNKNOWN\n");
}

TEST_F(ClientIntegrationTest, ActctlPlotWritesSvgWithBothCurves) {
  if (!std::filesystem::exists("/usr/bin/python3")) {
    GTEST_SKIP() << "/usr/bin/python3 is absent: cannot parse the SVG";
  }
  const std::string path = TempPath("plot.svg");
  std::string out, err;
  ASSERT_EQ(Actctl({.command = "plot", .operands = {"sigmoid", "elu:alpha=0.5"},
                    .from = -3, .to = 3, .points = 121, .out = path},
                   &out, &err),
            kExitOk)
      << err;
  std::string check;
  EXPECT_EQ(Shell(absl::StrCat("/usr/bin/python3 " CHECK_SVG_PY " ", path,
                               " sigmoid \"sigmoid'\" \"elu(alpha=0.5)\" "
                               "\"elu(alpha=0.5)'\" 2>&1"),
                  &check),
            0)
      << check;
  std::filesystem::remove(path);
}

// ---- actload. ----

class ActloadIntegrationTest : public ClientIntegrationTest,
                               public ::testing::WithParamInterface<LoadRpc> {};

TEST_P(ActloadIntegrationTest, VerifiedRunHasNoErrors) {
  // Both engines (auto: h2 for unary and batch, grpc for streams). gRPC:
  // the callback API (0) and two completion queues (streams: two tallies);
  // h2: one and two event loops; each merged into one result.
  for (const LoadEngine engine : {LoadEngine::kGrpc, LoadEngine::kAuto})
  for (const int threads : {0, 2}) {
    SCOPED_TRACE(absl::StrCat(LoadEngineName(engine), " threads=", threads));
    LoadConfig c;
    c.engine = engine;
    c.targets = {*target_};
    c.rpc = GetParam();
    c.concurrency = 4;
    c.connections = 2;
    c.threads = threads;
    c.duration = absl::Milliseconds(700);
    c.warmup = absl::Milliseconds(200);
    c.sizes = {{64, 4096}, {3, 1}};
    c.function = "gelu";
    c.mode = v1::MODE_FORWARD_AND_DERIVATIVE;
    c.batch_items = 3;
    c.verify = true;
    auto r = RunLoad(c);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->engine, engine == LoadEngine::kAuto && GetParam() != LoadRpc::kStream
                             ? LoadEngine::kH2
                             : LoadEngine::kGrpc);
    EXPECT_GT(r->ok, 0u);
    EXPECT_EQ(r->errors, 0u) << r->first_error;
    EXPECT_EQ(r->wrong, 0u) << r->first_wrong;
    EXPECT_GT(r->verified_values, 0u);
    EXPECT_EQ(r->latency.count(), r->ok);
    EXPECT_EQ(r->ok_latency.count(), r->ok);
    ASSERT_EQ(r->per_target.size(), 1u);
    EXPECT_EQ(r->per_target[0], r->ok);
    EXPECT_GT(r->cpu_user + r->cpu_system, absl::ZeroDuration());
    google::protobuf::Struct json;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(FormatJson(c, *r), &json).ok());
  }
}

TEST_F(ClientIntegrationTest, ActloadLiveProgressEveryInterval) {
  LoadConfig c;
  c.targets = {*target_};
  c.concurrency = 2;
  c.warmup = absl::Milliseconds(250);
  c.duration = absl::Milliseconds(1000);
  c.sizes = {{256}, {1}};
  c.progress_interval = absl::Milliseconds(250);
  std::ostringstream progress;
  auto r = RunLoad(c, &progress);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> warmup, measure;
  std::istringstream lines(progress.str());
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" req/s, ") == std::string::npos) continue;
    (line.find("warmup") != std::string::npos ? warmup : measure).push_back(line);
    EXPECT_NE(line.find(", 0 errors, p50 "), std::string::npos) << line;
  }
  // 1.25 s at 250 ms: about 5 lines, the first in warm-up (with slack for
  // a loaded machine, where the run drains late and wake-ups slip).
  EXPECT_GE(warmup.size() + measure.size(), 3u) << progress.str();
  EXPECT_LE(warmup.size() + measure.size(), 12u) << progress.str();
  EXPECT_GE(warmup.size(), 1u) << progress.str();
  EXPECT_GE(measure.size(), 2u) << progress.str();
  // Without an interval: only the phase lines, as before.
  c.progress_interval = absl::ZeroDuration();
  std::ostringstream quiet;
  ASSERT_TRUE(RunLoad(c, &quiet).ok());
  EXPECT_EQ(quiet.str().find("req/s"), std::string::npos) << quiet.str();
}

TEST_P(ActloadIntegrationTest, OpenLoopHoldsTheRate) {
  LoadConfig c;
  c.targets = {*target_};
  c.rpc = GetParam();
  c.rps = 200;
  c.total = 100;  // 0.5 s at 200/s
  c.duration = absl::ZeroDuration();
  c.sizes = {{16}, {1}};
  auto r = RunLoad(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ok, 100u) << r->first_error;
  // 100 requests at 200/s take about 0.5 s: an open loop neither bunches
  // them up nor waits for responses.
  EXPECT_GT(r->Seconds(), 0.45);
  EXPECT_LT(r->Seconds(), 1.5);
}

INSTANTIATE_TEST_SUITE_P(Rpcs, ActloadIntegrationTest,
                         ::testing::Values(LoadRpc::kUnary, LoadRpc::kBatch,
                                           LoadRpc::kStream),
                         [](const auto& info) { return LoadRpcName(info.param); });

TEST(ActloadVerifyTest, WrongAnswersAreCounted) {
  LyingService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  for (const LoadEngine engine : {LoadEngine::kH2, LoadEngine::kGrpc}) {
    SCOPED_TRACE(LoadEngineName(engine));
    LoadConfig c;
    c.engine = engine;
    c.targets = {absl::StrCat("127.0.0.1:", port)};
    c.total = 50;
    c.duration = absl::ZeroDuration();
    c.verify = true;
    auto r = RunLoad(c);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->ok, 50u);
    EXPECT_EQ(r->wrong, 50u);
    EXPECT_NE(r->first_wrong.find("ULP"), std::string::npos) << r->first_wrong;
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

// ---- The binaries, as a user runs them. ----

TEST_F(ClientIntegrationTest, ActloadBinaryJsonAndExitCode) {
  std::string out;
  const int rc = Shell(absl::StrCat(ACTLOAD_PATH " --target=", *target_,
                                    " --duration=600ms --warmup=100ms "
                                    "--concurrency=4 --verify --output=json "
                                    "--function=swish --param=beta=1.5 "
                                    "2>/dev/null"),
                       &out);
  EXPECT_EQ(rc, 0) << out;
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out, &json).ok()) << out;
  EXPECT_GT(json.fields().at("ok").number_value(), 0);
  EXPECT_EQ(json.fields().at("errors").number_value(), 0);
  EXPECT_EQ(json.fields().at("wrong").number_value(), 0);
  // A bad flag is a usage error.
  EXPECT_EQ(Shell(ACTLOAD_PATH " --rpc=bidi 2>&1", &out), 2) << out;
}

TEST_F(ClientIntegrationTest, ActctlBinary) {
  std::string out;
  EXPECT_EQ(Shell(absl::StrCat(ACTCTL_PATH " compute tanh --values=0,1 --target=",
                               *target_, " 2>&1"),
                  &out),
            0)
      << out;
  // tanh(1) = 0.76159416; float32 within the 4 ULP bound prints 0.76159xxx.
  EXPECT_NE(out.find("1                0.76159"), std::string::npos) << out;
  EXPECT_EQ(Shell(absl::StrCat(ACTCTL_PATH " compute softplus --values 1 "
                               "--param beta=-1 --target ",
                               *target_, " 2>&1"),
                  &out),
            1)
      << out;
  EXPECT_NE(out.find("beta"), std::string::npos) << out;
}

}  // namespace
}  // namespace activation::client
