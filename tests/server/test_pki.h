// Certificates for TLS tests, made at test time with the `openssl` command
// (Debian's openssl package): a certificate authority per TestPki, and
// server or client certificates it signs, as PEM files in a fresh temporary
// directory that is removed with the object. No key or certificate is kept
// in the repository.
//
// Example:
//   absl::StatusOr<std::unique_ptr<TestPki>> pki = TestPki::Create("ca");
//   absl::StatusOr<CertFiles> server = (*pki)->Issue("server", kServerCert);
//   options.tls = {.cert_file = server->cert, .key_file = server->key};
#ifndef TESTS_SERVER_TEST_PKI_H_
#define TESTS_SERVER_TEST_PKI_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace actserver::testing {

struct CertFiles {
  std::string cert;  // PEM certificate path
  std::string key;   // PEM private key path (PKCS#8, unencrypted)
};

enum class CertUse {
  // extendedKeyUsage serverAuth; subjectAltName localhost, 127.0.0.1, ::1.
  kServer,
  // extendedKeyUsage clientAuth; no subjectAltName.
  kClient,
};

// Not thread-safe.
class TestPki {
 public:
  // A new directory under $TMPDIR (or /tmp) holding a self-signed CA named
  // `name` (an EC P-256 key, valid for two days). UNAVAILABLE if openssl
  // cannot be run.
  static absl::StatusOr<std::unique_ptr<TestPki>> Create(
      const std::string& name);
  ~TestPki();  // removes the directory
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // A fresh key and a certificate for it, signed by this CA, as
  // <dir>/<name>.crt and <dir>/<name>.key. days < 0 makes a certificate that
  // has already expired (notAfter = now + days).
  absl::StatusOr<CertFiles> Issue(const std::string& name, CertUse use,
                                  int days = 2);

  // Runs `openssl args...` in dir(), for files the methods above do not
  // make. INTERNAL, with openssl's output, if it fails.
  absl::Status OpenSsl(const std::vector<std::string>& args) const;

  const std::string& dir() const { return dir_; }
  // The CA's certificate file and its PEM text.
  const std::string& ca_cert() const { return ca_.cert; }
  std::string ca_pem() const;

 private:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  CertFiles ca_;
  int last_serial_ = 1;
};

// The whole file at `path` ("" if it cannot be read).
std::string ReadTextFile(const std::string& path);

}  // namespace actserver::testing

#endif  // TESTS_SERVER_TEST_PKI_H_
