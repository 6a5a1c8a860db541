// The send buffer of gRPC's Unix domain sockets, for clients and servers.
//
// Over a Unix stream socket the *sender's* SO_SNDBUF alone bounds the bytes
// in flight (the receiver's SO_RCVBUF is not consulted), and the kernel's
// default is net.core.wmem_default (208 KiB on Debian), not TCP's autotuning
// up to net.ipv4.tcp_wmem's 4 MiB. A 4 MiB message (1 Mi float32 values)
// then leaves in 10-20 writes, each a poller wake-up on both sides
// (docs/benchmarks.md, "Session 20: thread hand-offs", "Session 21: Unix
// socket send buffers"). AddUnixSendBuffer installs a gRPC socket mutator
// that sets SO_SNDBUF on every Unix socket a channel (or server) creates;
// TCP sockets are left to the kernel's autotuning.
//
// The client library uses it for ClientOptions::unix_send_buffer; actserver
// uses it for --unix_send_buffer (server/unix_socket_buffer.h), so the one
// copy of the mutator lives here, in the installable client library, and
// the client package does not depend on the server.
//
// Example:
//   grpc::ChannelArguments args;
//   activation::client::AddUnixSendBuffer(1 << 20, &args);
//   auto channel = grpc::CreateCustomChannel(
//       "unix:/run/actserver.sock", grpc::InsecureChannelCredentials(), args);
#ifndef CLIENT_UNIX_SOCKET_BUFFER_H_
#define CLIENT_UNIX_SOCKET_BUFFER_H_

#include "absl/status/status.h"
#include "grpcpp/support/channel_arguments.h"

namespace activation::client {

// Largest value the functions below take (bytes). The kernel caps an
// unprivileged SO_SNDBUF at net.core.wmem_max anyway (4 MiB on this
// project's machines), and doubles what it accepts for bookkeeping.
inline constexpr int kMaxUnixSendBuffer = 64 << 20;

// INVALID_ARGUMENT naming the option ("unix_send_buffer: ...") unless bytes
// is in [0, kMaxUnixSendBuffer].
absl::Status ValidateUnixSendBuffer(int bytes);

// If `fd` is a Unix domain socket, sets its SO_SNDBUF to `bytes` (which the
// kernel caps at net.core.wmem_max and doubles); any other socket is left
// alone. bytes == 0 leaves the kernel's default. INVALID_ARGUMENT for bytes
// outside [0, kMaxUnixSendBuffer]; the errno of getsockopt/setsockopt as
// INTERNAL. Thread-safe.
absl::Status SetUnixSendBuffer(int fd, int bytes);

// Adds to `args` a gRPC socket mutator that calls SetUnixSendBuffer(fd,
// bytes) on every socket created with them: a channel's connections
// (GRPC_FD_CLIENT_CONNECTION_USAGE), a server's listeners and the
// connections they accept -- so it acts on Unix sockets only. A mutator
// already in `args` is replaced. bytes == 0 adds nothing.
// Precondition: ValidateUnixSendBuffer(bytes).ok().
void AddUnixSendBuffer(int bytes, grpc::ChannelArguments* args);

}  // namespace activation::client

#endif  // CLIENT_UNIX_SOCKET_BUFFER_H_
