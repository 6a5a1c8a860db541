#include "tests/integration/slow_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>

namespace actserver::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The receive buffer of the relay's socket to the server: small, so that
// what the relay has not yet passed on waits in the server's send queue.
constexpr int kServerSideReceiveBuffer = 16 << 10;

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

bool SendAll(int fd, const char* data, ssize_t size) {
  while (size > 0) {
    const ssize_t sent = send(fd, data, static_cast<size_t>(size),
                              MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += sent;
    size -= sent;
  }
  return true;
}

int Unacknowledged(int fd) {
  int bytes = 0;
  return ioctl(fd, SIOCOUTQ, &bytes) == 0 ? bytes : 0;
}

// Closes `fd` with a reset instead of a FIN.
void CloseWithReset(int fd) {
  const linger abort_on_close{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close,
             sizeof(abort_on_close));
  close(fd);
}

}  // namespace

SlowLink::SlowLink(int server_port, int bytes_per_millisecond)
    : server_port_(server_port),
      bytes_per_millisecond_(std::max(1, bytes_per_millisecond)) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) Die("SlowLink: socket");
  sockaddr_in address = Loopback(0);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address),
           sizeof(address)) != 0 ||
      listen(listener_, 16) != 0) {
    Die("SlowLink: bind/listen");
  }
  socklen_t len = sizeof(address);
  if (getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &len) !=
      0) {
    Die("SlowLink: getsockname");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

SlowLink::~SlowLink() {
  stop_.store(true);
  acceptor_.join();
  std::vector<std::thread> relays;
  {
    std::lock_guard<std::mutex> lock(mu_);
    relays.swap(relays_);
  }
  for (std::thread& relay : relays) relay.join();
  close(listener_);
}

std::string SlowLink::target() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void SlowLink::Accept() {
  while (!stop_.load()) {
    pollfd ready{listener_, POLLIN, 0};
    if (poll(&ready, 1, 10) <= 0) continue;
    const int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (server < 0) Die("SlowLink: socket");
    setsockopt(server, SOL_SOCKET, SO_RCVBUF, &kServerSideReceiveBuffer,
               sizeof(kServerSideReceiveBuffer));
    const int one = 1;
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in address = Loopback(server_port_);
    if (connect(server, reinterpret_cast<sockaddr*>(&address),
                sizeof(address)) != 0) {
      close(server);
      CloseWithReset(client);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    relays_.emplace_back([this, client, server] { Relay(client, server); });
  }
}

void SlowLink::Relay(int client, int server) {
  std::vector<char> buffer(
      static_cast<size_t>(std::max(bytes_per_millisecond_, 64 << 10)));
  bool client_done = false;  // the client's FIN was passed on
  bool server_done = false;  // the server's FIN was passed on
  Clock::time_point next_server_read = Clock::now();
  while (!stop_.load() && !(client_done && server_done)) {
    const Clock::time_point now = Clock::now();
    const bool read_server = !server_done && now >= next_server_read;
    // A negative descriptor is not polled (so a hung-up side that is not
    // being read does not wake the loop).
    pollfd fds[2] = {{client_done ? -1 : client, POLLIN, 0},
                     {read_server ? server : -1, POLLIN, 0}};
    int timeout_ms = 10;
    if (!server_done && !read_server) timeout_ms = 1;
    if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR) break;
    if (!client_done && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t n = recv(client, buffer.data(), buffer.size(), 0);
      if (n > 0) {
        SendAll(server, buffer.data(), n);  // a reset server: dropped
      } else if (n == 0) {
        shutdown(server, SHUT_WR);
        client_done = true;
      } else if (errno != EINTR && errno != EAGAIN) {
        CloseWithReset(server);
        close(client);
        return;
      }
    }
    if (read_server && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t n =
          recv(server, buffer.data(),
               static_cast<size_t>(bytes_per_millisecond_), 0);
      if (n > 0) {
        SendAll(client, buffer.data(), n);
        bytes_to_clients_.fetch_add(n);
        next_server_read = Clock::now() + std::chrono::milliseconds(1);
      } else if (n == 0) {
        shutdown(client, SHUT_WR);
        server_done = true;
      } else if (errno != EINTR && errno != EAGAIN) {
        // The server reset the connection: what came before the reset is
        // delivered, then the client gets the reset too.
        server_resets_.fetch_add(1);
        const Clock::time_point give_up =
            Clock::now() + std::chrono::seconds(10);
        while (Unacknowledged(client) > 0 && Clock::now() < give_up &&
               !stop_.load()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        CloseWithReset(client);
        close(server);
        return;
      }
    }
  }
  close(client);
  close(server);
}

}  // namespace actserver::testing
