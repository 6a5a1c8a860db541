#include "server/socket_drain.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace actserver {
namespace {

// A listener on 127.0.0.1 with a kernel-chosen port, one connection to it,
// and the accepted end: the "server" socket whose queue is measured.
struct Connection {
  int listener = -1;
  int client = -1;
  int accepted = -1;
  int port = 0;
  Connection() {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(address);
    EXPECT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), len), 0);
    EXPECT_EQ(listen(listener, 1), 0);
    EXPECT_EQ(
        getsockname(listener, reinterpret_cast<sockaddr*>(&address), &len), 0);
    port = ntohs(address.sin_port);
    // A small receive buffer, so that the peer's kernel cannot take (and
    // acknowledge) everything the server writes.
    client = socket(AF_INET, SOCK_STREAM, 0);
    const int small = 4096;
    setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    EXPECT_EQ(connect(client, reinterpret_cast<sockaddr*>(&address), len), 0);
    accepted = accept(listener, nullptr, nullptr);
    EXPECT_GE(accepted, 0);
  }
  ~Connection() {
    close(accepted);
    close(client);
    close(listener);
  }
};

TEST(SocketDrainTest, CountsUnacknowledgedBytesOfTheServersPortOnly) {
  Connection c;
  const int ports[] = {c.port};
  // Nothing written yet: the connection is counted, its queue is empty.
  SendQueues queues = ServerSendQueues(ports);
  EXPECT_EQ(queues.sockets, 1);  // the accepted end; not listener or client
  EXPECT_EQ(queues.unacknowledged_bytes, 0);

  const std::vector<char> data(1 << 20, 'x');
  const ssize_t sent =
      send(c.accepted, data.data(), data.size(), MSG_DONTWAIT);
  ASSERT_GT(sent, 0);
  queues = ServerSendQueues(ports);
  EXPECT_EQ(queues.sockets, 1);
  EXPECT_GT(queues.unacknowledged_bytes, 0);
  const int other_port[] = {c.port == 65535 ? 1 : c.port + 1};
  EXPECT_EQ(ServerSendQueues(other_port).sockets, 0);

  // Not drained while the peer does not read...
  EXPECT_FALSE(WaitForAcknowledgedWrites(
      ports, absl::Now() + absl::Milliseconds(50)));
  // ...drained once it has read everything.
  std::thread reader([&] {
    std::vector<char> buffer(1 << 16);
    ssize_t left = sent;
    while (left > 0) {
      const ssize_t n = recv(c.client, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      left -= n;
    }
  });
  EXPECT_TRUE(
      WaitForAcknowledgedWrites(ports, absl::Now() + absl::Seconds(30)));
  reader.join();
  EXPECT_EQ(ServerSendQueues(ports).unacknowledged_bytes, 0);
}

TEST(SocketDrainTest, NoConnectionsIsDrainedAtOnce) {
  const int ports[] = {1};  // no socket of this process has local port 1
  const absl::Time start = absl::Now();
  EXPECT_TRUE(WaitForAcknowledgedWrites(ports, start + absl::Seconds(30)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace actserver
