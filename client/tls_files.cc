#include "client/tls_files.h"

#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace activation::client {
namespace {

absl::Status Read(const std::string& flag, const std::string& path,
                  std::string* out) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("--", flag, "=", path, ": cannot read the file"));
  }
  *out = text.str();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TlsOptions> LoadTlsFiles(const TlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together (a client certificate for "
        "mutual TLS needs its private key)");
  }
  TlsOptions tls;
  tls.enabled = files.tls || !files.roots.empty() || !files.cert.empty() ||
                !files.server_name.empty();
  tls.server_name = files.server_name;
  for (const absl::Status& s :
       {Read("tls_roots", files.roots, &tls.root_certs_pem),
        Read("tls_cert", files.cert, &tls.cert_chain_pem),
        Read("tls_key", files.key, &tls.private_key_pem)}) {
    if (!s.ok()) return s;
  }
  return tls;
}

}  // namespace activation::client
