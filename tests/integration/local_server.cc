#include "tests/integration/local_server.h"

#include <gtest/gtest.h>

#include <utility>

#include "absl/status/statusor.h"

namespace actserver::testing {

std::unique_ptr<ActivationServer> StartLocalServer(ServerOptions options) {
  options.address = "127.0.0.1";
  options.port = 0;
  if (options.threads == 0) options.threads = 2;
  absl::StatusOr<std::unique_ptr<ActivationServer>> server =
      ActivationServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

}  // namespace actserver::testing
