// MakeServerCredentials: every way the TLS files can be wrong is refused
// with a message that names the option and the file. Certificates are made
// with openssl at test time (test_pki.h).
#include "server/tls_credentials.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/server/test_pki.h"

namespace actserver {
namespace {

using ::actserver::testing::CertFiles;
using ::actserver::testing::CertUse;
using ::actserver::testing::TestPki;

class TlsCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestPki>> pki = TestPki::Create("ca");
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *std::move(pki);
    absl::StatusOr<CertFiles> server = pki_->Issue("server", CertUse::kServer);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
  }

  // The error MakeServerCredentials returns for `options`, which must be
  // INVALID_ARGUMENT.
  std::string Error(const TlsOptions& options) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(options);
    EXPECT_EQ(credentials.status().code(), absl::StatusCode::kInvalidArgument)
        << credentials.status();
    return std::string(credentials.status().message());
  }

  // Error(options) begins with `prefix`.
  ::testing::AssertionResult ErrorStartsWith(const TlsOptions& options,
                                             const std::string& prefix) {
    const std::string message = Error(options);
    if (message.rfind(prefix, 0) == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << message << "\" does not begin with \"" << prefix << "\"";
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = absl::StrCat(pki_->dir(), "/", name);
    std::ofstream(path) << text;
    return path;
  }

  std::unique_ptr<TestPki> pki_;
  CertFiles server_;
};

TEST_F(TlsCredentialsTest, NoFilesIsPlaintext) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials({});
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_NE(*credentials, nullptr);
}

TEST_F(TlsCredentialsTest, TlsAndMutualTls) {
  for (const std::string& client_ca : {std::string(), pki_->ca_cert()}) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials({.cert_file = server_.cert,
                               .key_file = server_.key,
                               .client_ca_file = client_ca});
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    EXPECT_NE(*credentials, nullptr);
  }
}

TEST_F(TlsCredentialsTest, CertificateWithoutKeyAndTheReverse) {
  EXPECT_EQ(Error({.cert_file = server_.cert}),
            absl::StrCat("TLS needs both tls_cert and tls_key (given: "
                         "tls_cert=\"",
                         server_.cert, "\", tls_key=\"\")"));
  EXPECT_EQ(Error({.key_file = server_.key}),
            absl::StrCat("TLS needs both tls_cert and tls_key (given: "
                         "tls_cert=\"\", tls_key=\"",
                         server_.key, "\")"));
}

TEST_F(TlsCredentialsTest, ClientCaWithoutServerCertificate) {
  EXPECT_EQ(Error({.client_ca_file = pki_->ca_cert()}),
            absl::StrCat("tls_client_ca ", pki_->ca_cert(),
                         ": client certificates need TLS; give tls_cert and "
                         "tls_key too"));
}

TEST_F(TlsCredentialsTest, UnreadableFiles) {
  const std::string missing = pki_->dir() + "/missing.pem";
  EXPECT_EQ(Error({.cert_file = missing, .key_file = server_.key}),
            absl::StrCat("tls_cert ", missing,
                         ": cannot read (No such file or directory)"));
  EXPECT_EQ(Error({.cert_file = server_.cert, .key_file = missing}),
            absl::StrCat("tls_key ", missing,
                         ": cannot read (No such file or directory)"));
  EXPECT_EQ(Error({.cert_file = server_.cert,
                   .key_file = server_.key,
                   .client_ca_file = missing}),
            absl::StrCat("tls_client_ca ", missing,
                         ": cannot read (No such file or directory)"));
}

TEST_F(TlsCredentialsTest, FilesThatAreNotPem) {
  const std::string garbage = WriteFile("garbage.pem", "\xff\xfe not PEM\n");
  const std::string empty = WriteFile("empty.pem", "");
  for (const std::string& bad : {garbage, empty, server_.key}) {
    EXPECT_EQ(Error({.cert_file = bad, .key_file = server_.key}),
              absl::StrCat("tls_cert ", bad,
                           ": no PEM certificate (no start line); expected "
                           "-----BEGIN CERTIFICATE-----"));
    EXPECT_EQ(Error({.cert_file = server_.cert,
                     .key_file = server_.key,
                     .client_ca_file = bad}),
              absl::StrCat("tls_client_ca ", bad,
                           ": no PEM certificate (no start line); expected "
                           "-----BEGIN CERTIFICATE-----"));
  }
  for (const std::string& bad : {garbage, empty, server_.cert}) {
    EXPECT_TRUE(ErrorStartsWith(
        {.cert_file = server_.cert, .key_file = bad},
        absl::StrCat("tls_key ", bad, ": no usable PEM private key (")));
  }
}

TEST_F(TlsCredentialsTest, KeyOfAnotherCertificate) {
  absl::StatusOr<CertFiles> other = pki_->Issue("other", CertUse::kServer);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(Error({.cert_file = server_.cert, .key_file = other->key}),
            absl::StrCat("tls_key ", other->key,
                         ": private key does not match the certificate in "
                         "tls_cert ",
                         server_.cert));
}

TEST_F(TlsCredentialsTest, EncryptedKeyIsRefusedWithoutPrompting) {
  // Without a refusing passphrase callback OpenSSL would read a passphrase
  // from the terminal: the server would hang at start.
  const std::string encrypted = pki_->dir() + "/encrypted.key";
  ASSERT_TRUE(pki_->OpenSsl({"pkcs8", "-topk8", "-in", server_.key, "-out",
                             encrypted, "-v2", "aes-256-cbc", "-passout",
                             "pass:secret"})
                  .ok());
  EXPECT_TRUE(ErrorStartsWith(
      {.cert_file = server_.cert, .key_file = encrypted},
      absl::StrCat("tls_key ", encrypted, ": no usable PEM private key (")));
}

TEST_F(TlsCredentialsTest, ExpiredCertificate) {
  absl::StatusOr<CertFiles> expired =
      pki_->Issue("expired", CertUse::kServer, /*days=*/-1);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_TRUE(ErrorStartsWith(
      {.cert_file = expired->cert, .key_file = expired->key},
      absl::StrCat("tls_cert ", expired->cert, ": certificate expired ")));
}

TEST_F(TlsCredentialsTest, ReloadIntervalBelowOneSecond) {
  EXPECT_EQ(Error({.cert_file = server_.cert,
                   .key_file = server_.key,
                   .reload_interval = absl::Milliseconds(500)}),
            "tls_reload_interval: 500ms is below the minimum of 1s");
}

}  // namespace
}  // namespace actserver
