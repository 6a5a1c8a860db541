#include "server/tls_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace actserver {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using UniqueBio = std::unique_ptr<BIO, BioFree>;
using UniqueX509 = std::unique_ptr<X509, X509Free>;
using UniquePkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// "<option> <path>: " -- the prefix of every message about one file.
std::string Where(const char* option, const std::string& path) {
  return absl::StrCat(option, " ", path, ": ");
}

// OpenSSL's reason for the last failure on this thread (and clears the rest
// of its error queue, so that it does not leak into gRPC's handshakes).
std::string OpenSslReason() {
  const unsigned long code = ERR_peek_last_error();  // NOLINT(runtime/int)
  ERR_clear_error();
  if (code == 0) return "no PEM data";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : absl::StrCat("OpenSSL error ", code);
}

absl::StatusOr<std::string> ReadFile(const char* option,
                                     const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(option, path), "cannot read (",
        errno != 0 ? std::strerror(errno) : "open failed", ")"));
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(option, path), "read error"));
  }
  return text;
}

UniqueBio MemoryBio(const std::string& text) {
  return UniqueBio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every certificate in a PEM file, in order; at least one.
absl::StatusOr<std::vector<UniqueX509>> ReadCertificates(
    const char* option, const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(option, path);
  if (!text.ok()) return text.status();
  UniqueBio bio = MemoryBio(*text);
  std::vector<UniqueX509> certificates;
  while (X509* certificate =
             PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(certificate);
  }
  // The loop always ends on an error: "no start line" at the end of the data
  // is the normal end once a certificate was read.
  const std::string reason = OpenSslReason();
  if (certificates.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(option, path), "no PEM certificate (", reason,
        "); expected -----BEGIN CERTIFICATE-----"));
  }
  return certificates;
}

// A passphrase callback that refuses: without it OpenSSL would prompt on the
// terminal for an encrypted key, hanging a server under a supervisor.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

absl::StatusOr<UniquePkey> ReadPrivateKey(const char* option,
                                          const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(option, path);
  if (!text.ok()) return text.status();
  UniqueBio bio = MemoryBio(*text);
  UniquePkey key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(option, path), "no usable PEM private key (", OpenSslReason(),
        "); expected an unencrypted -----BEGIN PRIVATE KEY----- (PKCS#8), "
        "RSA or EC key"));
  }
  ERR_clear_error();
  return key;
}

std::string TimeText(const ASN1_TIME* time) {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), time);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int)
  return std::string(data, size > 0 ? static_cast<std::size_t>(size) : 0);
}

absl::Status CheckValidityPeriod(const char* option, const std::string& path,
                                 X509* certificate) {
  const ASN1_TIME* not_before = X509_get0_notBefore(certificate);
  const ASN1_TIME* not_after = X509_get0_notAfter(certificate);
  if (X509_cmp_current_time(not_before) >= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(option, path), "certificate is not valid before ",
                     TimeText(not_before)));
  }
  if (X509_cmp_current_time(not_after) <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(option, path), "certificate expired ", TimeText(not_after)));
  }
  return absl::OkStatus();
}

absl::Status CheckFiles(const TlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS needs both tls_cert and tls_key (given: tls_cert=\"",
        options.cert_file, "\", tls_key=\"", options.key_file, "\")"));
  }
  absl::StatusOr<std::vector<UniqueX509>> chain =
      ReadCertificates("tls_cert", options.cert_file);
  if (!chain.ok()) return chain.status();
  absl::StatusOr<UniquePkey> key = ReadPrivateKey("tls_key", options.key_file);
  if (!key.ok()) return key.status();
  X509* leaf = chain->front().get();
  if (X509_check_private_key(leaf, key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(Where("tls_key", options.key_file),
                     "private key does not match the certificate in tls_cert ",
                     options.cert_file));
  }
  if (absl::Status valid = CheckValidityPeriod("tls_cert", options.cert_file,
                                               leaf);
      !valid.ok()) {
    return valid;
  }
  if (!options.client_ca_file.empty()) {
    absl::StatusOr<std::vector<UniqueX509>> authorities =
        ReadCertificates("tls_client_ca", options.client_ca_file);
    if (!authorities.ok()) return authorities.status();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& options) {
  if (!options.enabled()) {
    if (!options.client_ca_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tls_client_ca ", options.client_ca_file,
          ": client certificates need TLS; give tls_cert and tls_key too"));
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls_reload_interval: ",
                     absl::FormatDuration(options.reload_interval),
                     " is below the minimum of 1s"));
  }
  if (absl::Status files = CheckFiles(options); !files.ok()) return files;

  const auto interval_seconds = static_cast<unsigned int>(
      absl::ToInt64Seconds(options.reload_interval));
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          options.key_file, options.cert_file, options.client_ca_file,
          interval_seconds);
  grpc::experimental::TlsServerCredentialsOptions tls(std::move(provider));
  tls.watch_identity_key_cert_pairs();
  if (!options.client_ca_file.empty()) {
    tls.watch_root_certs();
    tls.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

}  // namespace actserver
