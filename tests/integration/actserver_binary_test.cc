// The shipped `actserver` executable as a subprocess: flags, the start-up
// line (read for the port the kernel chose), serving, and a clean exit 0 on
// SIGTERM/SIGINT with the work in flight finished and the counters printed.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "activation/v1/activation.grpc.pb.h"
#include "activations/evaluate.h"
#include "tests/integration/grpc_probes.h"
#include "tests/server/server_test_util.h"
#include "tests/server/test_pki.h"

#ifndef ACTSERVER_PATH
#error "ACTSERVER_PATH must name the actserver binary"
#endif

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::CheckHealth;
using ::actserver::testing::ComputeWithDeadline;
using ::actserver::testing::Grid;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MatchesReference;
using ::actserver::testing::ServingStatus;
using ::actserver::testing::SetDeadline;
using ::actserver::testing::WireType;

constexpr auto kStartTimeout = std::chrono::seconds(30);

// A running actserver with its stderr on a pipe. Killed if the test leaves
// it running.
class ServerProcess {
 public:
  explicit ServerProcess(const std::vector<std::string>& flags) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDERR_FILENO);
      std::vector<char*> argv;
      std::string path = ACTSERVER_PATH;
      argv.push_back(path.data());
      std::vector<std::string> copy = flags;
      for (std::string& flag : copy) argv.push_back(flag.data());
      argv.push_back(nullptr);
      execv(path.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    stderr_fd_ = fds[0];
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exit_status_.has_value()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stderr_fd_ >= 0) close(stderr_fd_);
  }

  // The next line of stderr, or nullopt at EOF or after `timeout`.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const std::size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        output_ += line + "\n";
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{stderr_fd_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = read(stderr_fd_, chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, n);
    }
  }

  // Reads the start-up line; returns the port it names, or 0.
  int WaitForPort() {
    static const std::regex kListening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    while (std::optional<std::string> line = ReadLine(kStartTimeout)) {
      std::smatch match;
      if (std::regex_search(*line, match, kListening)) {
        start_line_ = *line;
        return std::stoi(match[1]);
      }
    }
    return 0;
  }

  // Sends `signal`, reads stderr to EOF and reaps the process; its exit
  // status as waitpid reports it, or nullopt if it did not exit in time.
  std::optional<int> StopWith(int signal, std::chrono::seconds timeout) {
    kill(pid_, signal);
    return Wait(timeout);
  }

  std::optional<int> Wait(std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (ReadLine(std::chrono::milliseconds(100)).has_value() ||
           std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        while (ReadLine(std::chrono::milliseconds(100)).has_value()) {
        }
        exit_status_ = status;
        return status;
      }
    }
    return std::nullopt;
  }

  pid_t pid() const { return pid_; }
  const std::string& start_line() const { return start_line_; }
  // Every complete line read so far.
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string buffer_;
  std::string output_;
  std::string start_line_;
  std::optional<int> exit_status_;
};

std::shared_ptr<grpc::Channel> Connect(int port) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

TEST(ActserverBinaryTest, ServesOnAFreePortAndExitsZeroOnSigterm) {
  ServerProcess server({"--port=0", "--address=127.0.0.1", "--threads=2"});
  const int port = server.WaitForPort();
  ASSERT_GT(port, 0) << server.output();
  EXPECT_NE(server.start_line().find("2 compute threads"), std::string::npos)
      << server.start_line();
  EXPECT_NE(server.start_line().find("SIMD " +
                                     std::string(activations::SimdTarget())),
            std::string::npos)
      << server.start_line();

  auto channel = Connect(port);
  ServingStatus health = ServingStatus::kUnknown;
  ASSERT_TRUE(CheckHealth(channel, "", &health).ok());
  EXPECT_EQ(health, ServingStatus::kServing);
  auto stub = v1::ActivationService::NewStub(channel);
  const v1::ComputeRequest request = MakeRequest(
      "swish", v1::MODE_FORWARD, WireType::kRawFloat32, Grid(-4, 4, 100));
  v1::ComputeResponse response;
  ASSERT_TRUE(ComputeWithDeadline(*stub, request, &response).ok());
  EXPECT_TRUE(MatchesReference(request, response));

  const std::optional<int> status =
      server.StopWith(SIGTERM, std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value()) << "no exit after SIGTERM";
  ASSERT_TRUE(WIFEXITED(*status)) << server.output();
  EXPECT_EQ(WEXITSTATUS(*status), 0) << server.output();
  EXPECT_NE(server.output().find("SIGTERM received"), std::string::npos)
      << server.output();
  EXPECT_NE(server.output().find(
                "stopped after serving 1 RPCs, 1 requests, 100 elements, "
                "0 errors"),
            std::string::npos)
      << server.output();
}

TEST(ActserverBinaryTest, SigintDrainsAnOpenStream) {
  ServerProcess server({"--port=0", "--address=127.0.0.1", "--threads=2",
                        "--shutdown_grace=60s"});
  const int port = server.WaitForPort();
  ASSERT_GT(port, 0) << server.output();
  auto stub = v1::ActivationService::NewStub(Connect(port));
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = stub->ComputeStream(&context);
  v1::ComputeStreamResponse reply;
  const v1::ComputeRequest first = MakeRequest(
      "tanh", v1::MODE_FORWARD, WireType::kFloat32, Grid(-2, 2, 10));
  ASSERT_TRUE(stream->Write(first));
  ASSERT_TRUE(stream->Read(&reply));  // the stream is now in flight
  EXPECT_TRUE(MatchesReference(first, reply.response()));

  std::thread stopper([&] {
    // The server is draining while the stream carries on.
    std::optional<int> status =
        server.StopWith(SIGINT, std::chrono::seconds(60));
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 5; ++i) {
    const v1::ComputeRequest request = MakeRequest(
        "tanh", v1::MODE_BACKWARD, WireType::kFloat64, Grid(-3, 3, 100000));
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_TRUE(MatchesReference(request, reply.response()));
  }
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_TRUE(stream->Finish().ok());
  // Hang up: a draining server waits for its clients' connections to close
  // (or for --shutdown_grace), and an idle channel may linger for seconds.
  stream.reset();
  stub.reset();
  stopper.join();
  EXPECT_NE(server.output().find("SIGINT received"), std::string::npos)
      << server.output();
  EXPECT_NE(server.output().find("1 RPCs, 6 requests, 500010 elements"),
            std::string::npos)
      << server.output();
}

TEST(ActserverBinaryTest,
     DrainDelayServesWhileNotServingAndASecondSignalEndsIt) {
  ServerProcess server(
      {"--port=0", "--address=127.0.0.1", "--threads=1", "--drain_delay=60s"});
  const int port = server.WaitForPort();
  ASSERT_GT(port, 0) << server.output();
  auto channel = Connect(port);
  auto stub = v1::ActivationService::NewStub(channel);
  ASSERT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                        std::chrono::seconds(10)));

  const auto start = std::chrono::steady_clock::now();
  kill(server.pid(), SIGTERM);
  std::optional<std::string> line;
  while ((line = server.ReadLine(std::chrono::seconds(10))) &&
         line->find("SIGTERM received") == std::string::npos) {
  }
  ASSERT_TRUE(line.has_value()) << server.output();
  // Draining: health says NOT_SERVING, but calls are still answered.
  ServingStatus health = ServingStatus::kUnknown;
  ASSERT_TRUE(CheckHealth(channel, "", &health).ok());
  EXPECT_EQ(health, ServingStatus::kNotServing);
  const v1::ComputeRequest request = MakeRequest(
      "elu", v1::MODE_DERIVATIVE, WireType::kFloat64, Grid(-2, 2, 9));
  v1::ComputeResponse response;
  ASSERT_TRUE(ComputeWithDeadline(*stub, request, &response).ok());
  EXPECT_TRUE(MatchesReference(request, response));

  const std::optional<int> status =
      server.StopWith(SIGTERM, std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status)) << server.output();
  EXPECT_EQ(WEXITSTATUS(*status), 0) << server.output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_NE(server.output().find("1 RPCs, 1 requests, 9 elements"),
            std::string::npos)
      << server.output();
}

TEST(ActserverBinaryTest, BadFlagExitsNonZeroWithTheReason) {
  ServerProcess server({"--port=70000"});
  const std::optional<int> status = server.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_NE(WEXITSTATUS(*status), 0);
  EXPECT_NE(server.output().find("port: 70000 is outside [0, 65535]"),
            std::string::npos)
      << server.output();
}

TEST(ActserverBinaryTest, MutualTlsFlagsAndThePlaintextHealthPort) {
  using ::actserver::testing::CertFiles;
  using ::actserver::testing::CertUse;
  using ::actserver::testing::ReadTextFile;
  using ::actserver::testing::TestPki;
  absl::StatusOr<std::unique_ptr<TestPki>> pki = TestPki::Create("ca");
  ASSERT_TRUE(pki.ok()) << pki.status();
  absl::StatusOr<CertFiles> server_files =
      (*pki)->Issue("server", CertUse::kServer);
  absl::StatusOr<CertFiles> client_files =
      (*pki)->Issue("client", CertUse::kClient);
  ASSERT_TRUE(server_files.ok() && client_files.ok());

  ServerProcess server({"--port=0", "--address=127.0.0.1", "--threads=1",
                        // The drain is tested above; a TLS client's
                        // connection lingers after the call (~5 s).
                        "--drain_delay=0s", "--shutdown_grace=1s",
                        "--health_port=0",
                        "--tls_cert=" + server_files->cert,
                        "--tls_key=" + server_files->key,
                        "--tls_client_ca=" + (*pki)->ca_cert()});
  const int port = server.WaitForPort();
  ASSERT_GT(port, 0) << server.output();
  const std::optional<std::string> security =
      server.ReadLine(std::chrono::seconds(10));
  ASSERT_TRUE(security.has_value()) << server.output();
  static const std::regex kHealth(
      "actserver: mutual TLS \\(client certificates required\\), "
      "health-only plaintext port 127\\.0\\.0\\.1:([0-9]+)");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(*security, match, kHealth)) << *security;

  ServingStatus health = ServingStatus::kUnknown;
  ASSERT_TRUE(CheckHealth(Connect(std::stoi(match[1])), "", &health).ok());
  EXPECT_EQ(health, ServingStatus::kServing);

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = (*pki)->ca_pem();
  ssl.pem_cert_chain = ReadTextFile(client_files->cert);
  ssl.pem_private_key = ReadTextFile(client_files->key);
  auto stub = v1::ActivationService::NewStub(grpc::CreateChannel(
      absl::StrCat("localhost:", port), grpc::SslCredentials(ssl)));
  const v1::ComputeRequest request = MakeRequest(
      "mish", v1::MODE_FORWARD, WireType::kFloat32, Grid(-4, 4, 33));
  v1::ComputeResponse response;
  ASSERT_TRUE(ComputeWithDeadline(*stub, request, &response).ok());
  EXPECT_TRUE(MatchesReference(request, response));
  stub.reset();  // hang up: the drain waits for open connections

  const std::optional<int> status =
      server.StopWith(SIGTERM, std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value() && WIFEXITED(*status)) << server.output();
  EXPECT_EQ(WEXITSTATUS(*status), 0) << server.output();
}

TEST(ActserverBinaryTest, UnusableTlsFilesExitNonZeroNamingTheFile) {
  ServerProcess server({"--port=0", "--tls_cert=/nonexistent/tls.crt",
                        "--tls_key=/nonexistent/tls.key"});
  const std::optional<int> status = server.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value() && WIFEXITED(*status));
  EXPECT_NE(WEXITSTATUS(*status), 0);
  EXPECT_NE(server.output().find("tls_cert /nonexistent/tls.crt: cannot read "
                                 "(No such file or directory)"),
            std::string::npos)
      << server.output();
}

}  // namespace
}  // namespace actserver
