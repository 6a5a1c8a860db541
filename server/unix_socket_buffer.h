// The send buffer of the server's Unix domain sockets.
//
// Over a Unix stream socket the *sender's* SO_SNDBUF alone bounds the bytes
// in flight (the receiver's SO_RCVBUF is not consulted), and the kernel's
// default is net.core.wmem_default (208 KiB on Debian), not TCP's autotuning
// up to net.ipv4.tcp_wmem's 4 MiB. A 4 MiB response (1 Mi float32 values)
// then leaves in 10-20 writes, each a poller wake-up on both sides
// (docs/benchmarks.md, "Session 20: thread hand-offs" and "Session 21").
// The option below sets SO_SNDBUF on the Unix listener and on every
// connection it accepts; TCP sockets are left to the kernel's autotuning.
//
// Example:
//   grpc::ServerBuilder builder;
//   builder.AddListeningPort("unix:/run/actserver.sock", creds);
//   builder.SetOption(UnixSendBufferOption(1 << 20));
#ifndef SERVER_UNIX_SOCKET_BUFFER_H_
#define SERVER_UNIX_SOCKET_BUFFER_H_

#include <grpcpp/impl/server_builder_option.h>

#include <memory>

#include "absl/status/status.h"

namespace actserver {

// Largest value UnixSendBufferOption and SetUnixSendBuffer take (bytes). The
// kernel caps an unprivileged SO_SNDBUF at net.core.wmem_max anyway (4 MiB
// on this project's machines), and doubles what it accepts for bookkeeping.
inline constexpr int kMaxUnixSendBuffer = 64 << 20;

// If `fd` is a Unix domain socket, sets its SO_SNDBUF to `bytes` (which the
// kernel caps at net.core.wmem_max and doubles); any other socket is left
// alone. bytes == 0 leaves the kernel's default. INVALID_ARGUMENT for bytes
// outside [0, kMaxUnixSendBuffer]; the errno of getsockopt/setsockopt as
// INTERNAL. Thread-safe.
absl::Status SetUnixSendBuffer(int fd, int bytes);

// A ServerBuilder option: a gRPC socket mutator that calls
// SetUnixSendBuffer(fd, bytes) on every socket the server's listeners create
// -- the listening sockets and every connection accepted -- so it acts on
// Unix listeners only. bytes == 0 returns an option that changes nothing.
// Precondition: bytes in [0, kMaxUnixSendBuffer] (checked by the caller:
// ValidateUnixSendBuffer).
std::unique_ptr<grpc::ServerBuilderOption> UnixSendBufferOption(int bytes);

// INVALID_ARGUMENT naming the option unless bytes is in
// [0, kMaxUnixSendBuffer].
absl::Status ValidateUnixSendBuffer(int bytes);

}  // namespace actserver

#endif  // SERVER_UNIX_SOCKET_BUFFER_H_
