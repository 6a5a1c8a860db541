#include "tests/server/test_pki.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace actserver::testing {
namespace {

// Runs `openssl args...` in `dir` with its output discarded (kept in
// <dir>/openssl.log for a failing test to show).
absl::Status RunOpenSsl(const std::string& dir,
                        const std::vector<std::string>& args) {
  std::vector<std::string> argv_text = {"openssl"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const std::string log = dir + "/openssl.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, "openssl", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return absl::UnavailableError(
        "cannot run openssl (install Debian's openssl package)");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("openssl ", absl::StrJoin(args, " "), " failed:\n",
                     ReadTextFile(log)));
  }
  return absl::OkStatus();
}

std::vector<std::string> NewKeyArgs(const std::string& key) {
  return {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-nodes",  "-keyout", key};
}

}  // namespace

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

absl::StatusOr<std::unique_ptr<TestPki>> TestPki::Create(
    const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                   "/actsvc-pki-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  std::unique_ptr<TestPki> pki(new TestPki(pattern));
  pki->ca_ = {absl::StrCat(pki->dir_, "/", name, ".crt"),
              absl::StrCat(pki->dir_, "/", name, ".key")};
  std::vector<std::string> args = {"req", "-x509"};
  for (std::string& arg : NewKeyArgs(pki->ca_.key)) args.push_back(arg);
  for (std::string arg :
       {std::string("-out"), pki->ca_.cert, std::string("-days"),
        std::string("2"), std::string("-subj"), absl::StrCat("/CN=", name),
        std::string("-addext"), std::string("basicConstraints=critical,CA:TRUE"),
        std::string("-addext"), std::string("keyUsage=critical,keyCertSign,cRLSign")}) {
    args.push_back(std::move(arg));
  }
  if (absl::Status made = RunOpenSsl(pki->dir_, args); !made.ok()) return made;
  return pki;
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::Status TestPki::OpenSsl(const std::vector<std::string>& args) const {
  return RunOpenSsl(dir_, args);
}

std::string TestPki::ca_pem() const { return ReadTextFile(ca_.cert); }

absl::StatusOr<CertFiles> TestPki::Issue(const std::string& name, CertUse use,
                                         int days) {
  CertFiles files = {absl::StrCat(dir_, "/", name, ".crt"),
                     absl::StrCat(dir_, "/", name, ".key")};
  const std::string csr = absl::StrCat(dir_, "/", name, ".csr");
  const std::string extensions = absl::StrCat(dir_, "/", name, ".ext");
  std::vector<std::string> request = {"req"};
  for (std::string& arg : NewKeyArgs(files.key)) request.push_back(arg);
  for (std::string arg : {std::string("-out"), csr, std::string("-subj"),
                          absl::StrCat("/CN=", name)}) {
    request.push_back(std::move(arg));
  }
  if (absl::Status made = RunOpenSsl(dir_, request); !made.ok()) return made;
  {
    std::ofstream ext(extensions);
    ext << "basicConstraints=CA:FALSE\n"
        << "keyUsage=critical,digitalSignature\n";
    if (use == CertUse::kServer) {
      ext << "extendedKeyUsage=serverAuth\n"
          << "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n";
    } else {
      ext << "extendedKeyUsage=clientAuth\n";
    }
  }
  // Serials must differ between the certificates one CA signs.
  const std::vector<std::string> sign = {
      "x509", "-req", "-in", csr, "-CA", ca_.cert, "-CAkey", ca_.key,
      "-set_serial", absl::StrCat(++last_serial_),
      "-days", absl::StrCat(days), "-extfile", extensions, "-out", files.cert};
  if (absl::Status made = RunOpenSsl(dir_, sign); !made.ok()) return made;
  return files;
}

}  // namespace actserver::testing
