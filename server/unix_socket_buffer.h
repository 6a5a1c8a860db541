// The send buffer of the server's Unix domain sockets (--unix_send_buffer).
//
// The socket mutator itself is the client library's
// (client/unix_socket_buffer.h: why the buffer matters, and the one copy of
// the code both sides use); this header adapts it to grpc::ServerBuilder.
// TCP sockets are left to the kernel's autotuning.
//
// Example:
//   grpc::ServerBuilder builder;
//   builder.AddListeningPort("unix:/run/actserver.sock", creds);
//   builder.SetOption(UnixSendBufferOption(1 << 20));
#ifndef SERVER_UNIX_SOCKET_BUFFER_H_
#define SERVER_UNIX_SOCKET_BUFFER_H_

#include <grpcpp/impl/server_builder_option.h>

#include <memory>

#include "client/unix_socket_buffer.h"

namespace actserver {

using activation::client::kMaxUnixSendBuffer;
using activation::client::SetUnixSendBuffer;
using activation::client::ValidateUnixSendBuffer;

// A ServerBuilder option: activation::client::AddUnixSendBuffer on the
// server's arguments, so SO_SNDBUF is set on every socket the server's
// listeners create -- the listening sockets and every connection accepted --
// of Unix listeners only. bytes == 0 returns an option that changes nothing.
// Precondition: bytes in [0, kMaxUnixSendBuffer] (checked by the caller:
// ValidateUnixSendBuffer).
std::unique_ptr<grpc::ServerBuilderOption> UnixSendBufferOption(int bytes);

}  // namespace actserver

#endif  // SERVER_UNIX_SOCKET_BUFFER_H_
