// A TCP relay on 127.0.0.1 that plays a slow network link between clients and
// a server: what the server sends is passed on at a fixed rate, read through
// a small receive buffer so that the backlog stays in the server's own send
// queue; what clients send goes through at once. The end of each direction is
// passed on as it came: a FIN as a FIN, and a TCP reset from the server as a
// reset to the client once the client has acknowledged every byte that came
// before it (as a router would forward them). So a server that resets a
// connection with bytes still unsent loses them here as it would across a
// real network, and a client sees "Connection reset by peer" mid-response.
//
// Example:
//   SlowLink link(server->port(), /*bytes_per_millisecond=*/16 << 10);
//   auto channel = grpc::CreateChannel(link.target(), ...);
#ifndef TESTS_INTEGRATION_SLOW_LINK_H_
#define TESTS_INTEGRATION_SLOW_LINK_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace actserver::testing {

class SlowLink {
 public:
  // Relays connections accepted on 127.0.0.1:port() to
  // 127.0.0.1:server_port. Server-to-client bytes: at most
  // `bytes_per_millisecond` per millisecond. CHECK-fails (aborts) if it
  // cannot listen.
  SlowLink(int server_port, int bytes_per_millisecond);
  // Stops relaying and closes every connection.
  ~SlowLink();
  SlowLink(const SlowLink&) = delete;
  SlowLink& operator=(const SlowLink&) = delete;

  int port() const { return port_; }
  std::string target() const;  // "127.0.0.1:<port>"

  // Connections the server ended with a reset (ECONNRESET on the read from
  // it), and the server's bytes relayed to clients in all.
  int server_resets() const { return server_resets_.load(); }
  long long bytes_to_clients() const { return bytes_to_clients_.load(); }

 private:
  void Accept();
  void Relay(int client, int server);

  const int server_port_;
  const int bytes_per_millisecond_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> server_resets_{0};
  std::atomic<long long> bytes_to_clients_{0};
  std::mutex mu_;
  std::vector<std::thread> relays_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace actserver::testing

#endif  // TESTS_INTEGRATION_SLOW_LINK_H_
