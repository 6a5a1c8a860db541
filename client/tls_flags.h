// The TLS flags actctl and actload share (defined once, in tls_flags.cc,
// which only the two executables link: libraries never read flags):
//   --tls                   TLS with the system's roots
//   --tls_roots FILE        PEM file of the server's CAs (implies --tls)
//   --tls_cert FILE         client certificate for mutual TLS (with --tls_key)
//   --tls_key FILE          its private key
//   --tls_server_name NAME  name to check the server's certificate for
#ifndef CLIENT_TLS_FLAGS_H_
#define CLIENT_TLS_FLAGS_H_

#include "client/tls_files.h"

namespace activation::client {

// The flags' values (call after absl::ParseCommandLine).
TlsFiles TlsFlags();

}  // namespace activation::client

#endif  // CLIENT_TLS_FLAGS_H_
