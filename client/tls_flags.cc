#include "client/tls_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(bool, tls, false, "Use TLS (system roots unless --tls_roots)");
ABSL_FLAG(std::string, tls_roots, "",
          "PEM file of the CAs that sign the server's certificate (implies "
          "--tls)");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM file of this client's certificate, for servers that require "
          "one (mutual TLS; with --tls_key)");
ABSL_FLAG(std::string, tls_key, "", "PEM file of the client certificate's key");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name to check the server's certificate for, when it is not the "
          "target's host (e.g. localhost when dialling 127.0.0.1 or unix:)");

namespace activation::client {

TlsFiles TlsFlags() {
  return {.tls = absl::GetFlag(FLAGS_tls),
          .roots = absl::GetFlag(FLAGS_tls_roots),
          .cert = absl::GetFlag(FLAGS_tls_cert),
          .key = absl::GetFlag(FLAGS_tls_key),
          .server_name = absl::GetFlag(FLAGS_tls_server_name)};
}

}  // namespace activation::client
