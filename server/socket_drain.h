// Waiting, at shutdown, until the peers of the server's TCP connections have
// acknowledged every byte the server wrote to them.
//
// Why: gRPC closes a connection as soon as its last call is done after
// Shutdown sent GOAWAY, and a call is done once its response is in the
// kernel's send buffer, not once the client has it. If the client sends
// anything after that close (HTTP/2 WINDOW_UPDATE and PING acks do, as it
// reads the response's tail), or if such a frame is still unread in the
// server's receive buffer at the close, the kernel answers with a TCP RST
// and drops what it had not yet sent: the client reads "Connection reset by
// peer" in the middle of a response that the server counted as served
// (docs/reliability.md, "Shutdown: a response's tail and the TCP reset").
// Once the peer has acknowledged every byte, the response is in the peer's
// kernel and a later RST no longer loses any of it.
//
// Example:
//   // after every call is done, before grpc::Server::Shutdown:
//   WaitForAcknowledgedWrites({server_port}, deadline);
#ifndef SERVER_SOCKET_DRAIN_H_
#define SERVER_SOCKET_DRAIN_H_

#include <cstdint>
#include <span>

#include "absl/time/time.h"

namespace actserver {

// What this process's connected TCP sockets whose local port is one of
// `local_ports` still hold: bytes written but not acknowledged by the peer
// (SIOCOUTQ), summed, and how many such sockets there are. Listening
// sockets, Unix sockets and TCP sockets of other ports (a client's, in a
// test that runs clients and server in one process) are not counted. Found
// by looking at every descriptor in /proc/self/fd: no bookkeeping in gRPC's
// socket code, at the price of a scan (microseconds per descriptor) that
// only shutdown pays.
struct SendQueues {
  std::int64_t unacknowledged_bytes = 0;
  int sockets = 0;
};
SendQueues ServerSendQueues(std::span<const int> local_ports);

// Polls ServerSendQueues(local_ports) every millisecond until no byte is
// unacknowledged on two polls in a row (so that a write gRPC was handing to
// the kernel between two polls is not missed), or until `deadline`. True
// when drained, false on the deadline.
bool WaitForAcknowledgedWrites(std::span<const int> local_ports,
                               absl::Time deadline);

}  // namespace actserver

#endif  // SERVER_SOCKET_DRAIN_H_
