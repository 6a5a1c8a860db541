// TLS and mutual TLS on the real server over TCP, with certificates made by
// openssl at test time: who gets in and who does not, certificate rotation
// without a restart, and the plaintext health-only port that probes use.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "activation/v1/activation.grpc.pb.h"
#include "server/server_builder.h"
#include "tests/integration/grpc_probes.h"
#include "tests/integration/local_server.h"
#include "tests/server/server_test_util.h"
#include "tests/server/test_pki.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::CertFiles;
using ::actserver::testing::CertUse;
using ::actserver::testing::CheckHealth;
using ::actserver::testing::Grid;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MatchesReference;
using ::actserver::testing::ReadTextFile;
using ::actserver::testing::ServingStatus;
using ::actserver::testing::SetDeadline;
using ::actserver::testing::StartLocalServer;
using ::actserver::testing::StatusIs;
using ::actserver::testing::TestPki;
using ::actserver::testing::WireType;

// Handshake failures surface as UNAVAILABLE; a short deadline keeps a
// failing case from waiting on reconnect back-off.
constexpr std::chrono::seconds kRefusedTimeout{5};

std::unique_ptr<TestPki> MakePki(const std::string& name) {
  absl::StatusOr<std::unique_ptr<TestPki>> pki = TestPki::Create(name);
  EXPECT_TRUE(pki.ok()) << pki.status();
  return pki.ok() ? *std::move(pki) : nullptr;
}

CertFiles Issue(TestPki& pki, const std::string& name, CertUse use) {
  absl::StatusOr<CertFiles> files = pki.Issue(name, use);
  EXPECT_TRUE(files.ok()) << files.status();
  return files.ok() ? *files : CertFiles{};
}

std::unique_ptr<ActivationServer> StartServer(const TlsOptions& tls,
                                              int health_port = -1) {
  ServerOptions options;
  options.threads = 1;
  options.tls = tls;
  options.health_port = health_port;
  return StartLocalServer(options);
}

// A channel of its own (no subchannel sharing between the cases, whose
// credentials differ).
std::shared_ptr<grpc::Channel> Connect(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, credentials, args);
}

std::shared_ptr<grpc::ChannelCredentials> TlsClient(
    const std::string& roots_file, const CertFiles& client = {}) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadTextFile(roots_file);
  if (!client.cert.empty()) {
    ssl.pem_cert_chain = ReadTextFile(client.cert);
    ssl.pem_private_key = ReadTextFile(client.key);
  }
  return grpc::SslCredentials(ssl);
}

// One Compute call, checked against the reference when it succeeds.
grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel,
                  std::chrono::milliseconds timeout = kRefusedTimeout) {
  auto stub = v1::ActivationService::NewStub(channel);
  const v1::ComputeRequest request =
      MakeRequest("gelu", v1::MODE_FORWARD_AND_DERIVATIVE,
                  WireType::kRawFloat32, Grid(-5, 5, 101));
  v1::ComputeResponse response;
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  grpc::Status status = stub->Compute(&context, request, &response);
  if (status.ok()) {
    EXPECT_TRUE(MatchesReference(request, response));
  }
  return status;
}

TEST(TlsTest, ServesTlsOnlyToClientsThatTrustItsCa) {
  std::unique_ptr<TestPki> ca = MakePki("ca");
  std::unique_ptr<TestPki> other_ca = MakePki("other-ca");
  ASSERT_TRUE(ca && other_ca);
  const CertFiles server_files = Issue(*ca, "server", CertUse::kServer);
  std::unique_ptr<ActivationServer> server =
      StartServer({.cert_file = server_files.cert, .key_file = server_files.key});
  ASSERT_NE(server, nullptr);

  EXPECT_TRUE(Call(Connect(server->target(), TlsClient(ca->ca_cert()))).ok());
  // "localhost" is the certificate's DNS name, 127.0.0.1 its IP name.
  EXPECT_TRUE(Call(Connect("localhost:" + std::to_string(server->port()),
                           TlsClient(ca->ca_cert())))
                  .ok());
  // A plaintext client gets no answer in plaintext.
  EXPECT_TRUE(StatusIs(Call(Connect(server->target(),
                                    grpc::InsecureChannelCredentials())),
                       grpc::StatusCode::UNAVAILABLE));
  // A client that does not trust the server's CA refuses it.
  EXPECT_TRUE(StatusIs(
      Call(Connect(server->target(), TlsClient(other_ca->ca_cert()))),
      grpc::StatusCode::UNAVAILABLE));
}

TEST(TlsTest, MutualTlsAdmitsOnlyClientCertificatesOfItsClientCa) {
  std::unique_ptr<TestPki> ca = MakePki("ca");
  std::unique_ptr<TestPki> clients_ca = MakePki("clients-ca");
  std::unique_ptr<TestPki> rogue_ca = MakePki("rogue-ca");
  ASSERT_TRUE(ca && clients_ca && rogue_ca);
  const CertFiles server_files = Issue(*ca, "server", CertUse::kServer);
  const CertFiles good = Issue(*clients_ca, "client", CertUse::kClient);
  const CertFiles rogue = Issue(*rogue_ca, "rogue", CertUse::kClient);
  // Signed by the right CA but for servers only (extendedKeyUsage
  // serverAuth): not a client certificate.
  const CertFiles wrong_use = Issue(*clients_ca, "not-a-client",
                                    CertUse::kServer);
  std::unique_ptr<ActivationServer> server =
      StartServer({.cert_file = server_files.cert,
                   .key_file = server_files.key,
                   .client_ca_file = clients_ca->ca_cert()});
  ASSERT_NE(server, nullptr);

  EXPECT_TRUE(
      Call(Connect(server->target(), TlsClient(ca->ca_cert(), good))).ok());
  for (const CertFiles& refused : {CertFiles{}, rogue, wrong_use}) {
    EXPECT_TRUE(StatusIs(
        Call(Connect(server->target(), TlsClient(ca->ca_cert(), refused))),
        grpc::StatusCode::UNAVAILABLE))
        << "client certificate: " << refused.cert;
  }
}

// Replaces `to` by `from` the way a Secret update or cert-manager does: a
// rename, so that the server never reads a half-written file.
void ReplaceFile(const std::string& from, const std::string& to) {
  const std::string staging = to + ".new";
  std::filesystem::copy_file(
      from, staging, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::rename(staging, to);
}

// A server reading <dir>/live.crt and <dir>/live.key, first copies of
// `first`, every second, so that a test can rotate them under it.
struct LiveServer {
  std::string cert;
  std::string key;
  std::unique_ptr<ActivationServer> server;
};
LiveServer StartWithLiveFiles(const std::string& dir, const CertFiles& first) {
  LiveServer live{dir + "/live.crt", dir + "/live.key", nullptr};
  ReplaceFile(first.cert, live.cert);
  ReplaceFile(first.key, live.key);
  live.server = StartServer({.cert_file = live.cert,
                             .key_file = live.key,
                             .reload_interval = absl::Seconds(1)});
  return live;
}

// Calls `call` every 250 ms until its success is `want` or 20 s have passed;
// the last status.
template <typename CallFn>
grpc::Status PollUntil(bool want, CallFn call) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  grpc::Status status;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    status = call();
  } while (status.ok() != want && std::chrono::steady_clock::now() < until);
  return status;
}

TEST(TlsTest, RotatedCertificateIsServedWithoutRestart) {
  std::unique_ptr<TestPki> old_ca = MakePki("old-ca");
  std::unique_ptr<TestPki> new_ca = MakePki("new-ca");
  ASSERT_TRUE(old_ca && new_ca);
  const CertFiles new_files = Issue(*new_ca, "server", CertUse::kServer);
  LiveServer live = StartWithLiveFiles(
      old_ca->dir(), Issue(*old_ca, "server", CertUse::kServer));
  ASSERT_NE(live.server, nullptr);
  const auto call = [&](const TestPki& trusted) {
    return Call(Connect(live.server->target(), TlsClient(trusted.ca_cert())),
                std::chrono::seconds(2));
  };
  ASSERT_TRUE(call(*old_ca).ok());
  ASSERT_FALSE(call(*new_ca).ok());

  ReplaceFile(new_files.key, live.key);
  ReplaceFile(new_files.cert, live.cert);
  const grpc::Status status = PollUntil(true, [&] { return call(*new_ca); });
  EXPECT_TRUE(status.ok()) << "the rotated certificate was not served: "
                           << status.error_message();
  EXPECT_FALSE(call(*old_ca).ok());
}

// gRPC 1.51's file watcher installs whatever pair it reads: while the key on
// disk does not match the certificate, new handshakes fail ("Invalid private
// key" in the log); once the pair matches again, serving resumes. This is
// what deploy/README.md tells operators (replace both files at once, as a
// Kubernetes Secret volume does); if a newer gRPC keeps the previous pair,
// this test says so and the README should change.
TEST(TlsTest, HalfRotatedPairFailsHandshakesUntilThePairMatches) {
  std::unique_ptr<TestPki> ca = MakePki("ca");
  ASSERT_NE(ca, nullptr);
  const CertFiles new_files = Issue(*ca, "new", CertUse::kServer);
  LiveServer live =
      StartWithLiveFiles(ca->dir(), Issue(*ca, "old", CertUse::kServer));
  ASSERT_NE(live.server, nullptr);
  const auto call = [&] {
    return Call(Connect(live.server->target(), TlsClient(ca->ca_cert())),
                std::chrono::seconds(2));
  };
  ASSERT_TRUE(call().ok());

  ReplaceFile(new_files.key, live.key);  // the certificate is still the old one
  EXPECT_FALSE(PollUntil(false, call).ok())
      << "a mismatched pair on disk went unnoticed";
  ReplaceFile(new_files.cert, live.cert);
  const grpc::Status status = PollUntil(true, call);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(TlsTest, StartFailsOnMismatchedFiles) {
  std::unique_ptr<TestPki> ca = MakePki("ca");
  ASSERT_NE(ca, nullptr);
  const CertFiles a = Issue(*ca, "a", CertUse::kServer);
  const CertFiles b = Issue(*ca, "b", CertUse::kServer);
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.tls = {.cert_file = a.cert, .key_file = b.key};
  absl::StatusOr<std::unique_ptr<ActivationServer>> server =
      ActivationServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.status().message(),
            "tls_key " + b.key +
                ": private key does not match the certificate in tls_cert " +
                a.cert);
}

TEST(HealthPortTest, PlaintextHealthBesideMutualTlsAndNothingElse) {
  std::unique_ptr<TestPki> ca = MakePki("ca");
  ASSERT_NE(ca, nullptr);
  const CertFiles server_files = Issue(*ca, "server", CertUse::kServer);
  std::unique_ptr<ActivationServer> server =
      StartServer({.cert_file = server_files.cert,
                   .key_file = server_files.key,
                   .client_ca_file = ca->ca_cert()},
                  /*health_port=*/0);
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->health_port(), 0);
  ASSERT_NE(server->health_port(), server->port());
  const auto health = Connect(
      "127.0.0.1:" + std::to_string(server->health_port()),
      grpc::InsecureChannelCredentials());

  for (const std::string service : {"", "activation.v1.ActivationService"}) {
    ServingStatus status = ServingStatus::kUnknown;
    ASSERT_TRUE(CheckHealth(health, service, &status).ok()) << service;
    EXPECT_EQ(status, ServingStatus::kServing) << service;
  }
  // The service itself is not on the plaintext port.
  EXPECT_TRUE(StatusIs(Call(health), grpc::StatusCode::UNIMPLEMENTED));

  server->StartDraining();
  ServingStatus status = ServingStatus::kUnknown;
  ASSERT_TRUE(CheckHealth(health, "", &status).ok());
  EXPECT_EQ(status, ServingStatus::kNotServing);
  server->Shutdown(absl::Seconds(1));
}

TEST(HealthPortTest, NoHealthPortUnlessAsked) {
  std::unique_ptr<ActivationServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->health_port(), 0);
}

TEST(HealthPortTest, OutOfRangeHealthPort) {
  ServerOptions options;
  options.port = 0;
  options.health_port = 70000;
  absl::StatusOr<std::unique_ptr<ActivationServer>> server =
      ActivationServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.status().message(),
            "health_port: 70000 is outside [0, 65535] (or -1 for none)");
}

}  // namespace
}  // namespace actserver
