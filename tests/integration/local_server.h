// A real ActivationServer for the integration tests, started the way
// server/main.cc starts one but on loopback at a kernel-chosen port: the one
// place the tests say how they bind it.
#ifndef TESTS_INTEGRATION_LOCAL_SERVER_H_
#define TESTS_INTEGRATION_LOCAL_SERVER_H_

#include <memory>

#include "server/server_builder.h"

namespace actserver::testing {

// ActivationServer::Start(options) with address 127.0.0.1 and port 0 (read
// it back with port() or target()), and 2 compute threads where
// options.threads is 0 (all cores would make the tests depend on the
// machine). Fails the test, and returns nullptr, when the server does not
// start. Callers ASSERT_NE(server, nullptr).
std::unique_ptr<ActivationServer> StartLocalServer(ServerOptions options = {});

}  // namespace actserver::testing

#endif  // TESTS_INTEGRATION_LOCAL_SERVER_H_
