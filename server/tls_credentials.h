// Server-side TLS and mutual TLS from PEM files.
//
// The files are checked with OpenSSL when the server starts, so a wrong path,
// a file that is not PEM, a key that does not belong to the certificate or a
// certificate outside its validity period stops the server with a message
// naming the flag and the file, instead of a server that starts and then
// fails every handshake. Serving then goes through gRPC's file-watching
// certificate provider, which re-reads the files every `reload_interval`: a
// certificate rotated on disk (cert-manager, a Kubernetes Secret update) is
// picked up by new connections without a restart, and a rotation that leaves
// a mismatched pair behind keeps the previous pair.
//
// Example:
//   TlsOptions tls{.cert_file = "/etc/actsvc/tls.crt",
//                  .key_file = "/etc/actsvc/tls.key",
//                  .client_ca_file = "/etc/actsvc/ca.crt"};  // mTLS
//   absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
//       MakeServerCredentials(tls);
#ifndef SERVER_TLS_CREDENTIALS_H_
#define SERVER_TLS_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace actserver {

struct TlsOptions {
  // PEM file of the server's certificate chain (leaf first) and of its
  // private key. Both empty: plaintext. One without the other is an error.
  std::string cert_file;
  std::string key_file;
  // PEM file of the certificate authorities that sign client certificates.
  // Non-empty: mutual TLS -- every client must present a certificate that
  // chains to one of them, or the handshake fails. Empty: clients are not
  // asked for a certificate.
  std::string client_ca_file;
  // How often the files are re-read for rotated certificates; at least 1 s.
  absl::Duration reload_interval = absl::Minutes(1);

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Checks the files named by `options` and returns credentials serving them.
// Plaintext (InsecureServerCredentials) when !options.enabled().
// INVALID_ARGUMENT, naming the option and the file, when: only one of
// cert/key is given; client_ca_file without cert and key; a file cannot be
// read; it holds no PEM certificate (or key); the key does not match the
// certificate; the leaf certificate is expired or not yet valid; the reload
// interval is under 1 s. Thread-safe.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& options);

}  // namespace actserver

#endif  // SERVER_TLS_CREDENTIALS_H_
