// TLS settings as the command-line tools take them -- file names -- turned
// into the client library's TlsOptions (PEM text). actctl and actload share
// the flags: --tls --tls_roots FILE --tls_cert FILE --tls_key FILE
// --tls_server_name NAME.
#ifndef CLIENT_TLS_FILES_H_
#define CLIENT_TLS_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/activation_client.h"

namespace activation::client {

struct TlsFiles {
  bool tls = false;         // --tls: TLS with the system's roots
  std::string roots;        // --tls_roots: PEM file of the server's CAs
  std::string cert;         // --tls_cert: this client's certificate (mTLS)
  std::string key;          // --tls_key: its private key
  std::string server_name;  // --tls_server_name: name to check the cert for
};

// Reads the files. Any of them, or a server name, turns TLS on. NOT_FOUND
// naming a file that cannot be read; INVALID_ARGUMENT for --tls_cert without
// --tls_key or the reverse.
absl::StatusOr<TlsOptions> LoadTlsFiles(const TlsFiles& files);

}  // namespace activation::client

#endif  // CLIENT_TLS_FILES_H_
