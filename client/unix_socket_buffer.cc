#include "client/unix_socket_buffer.h"

#include <grpc/support/sync.h>
#include <grpcpp/support/channel_arguments.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"

// gRPC 1.51's socket mutator interface (src/core/lib/iomgr/socket_mutator.h),
// whose header Debian's libgrpc-dev does not install; grpc_types.h declares
// the struct and ChannelArguments::SetSocketMutator takes it. The layout
// below is 1.51's (and unchanged through 1.6x): a vtable pointer and a
// refcount; gRPC calls mutate_fd_2 (when set) with the socket's use. Only
// these declarations, not gRPC's internals, are relied on.
enum grpc_fd_usage {
  GRPC_FD_CLIENT_CONNECTION_USAGE,
  GRPC_FD_SERVER_LISTENER_USAGE,
  GRPC_FD_SERVER_CONNECTION_USAGE,
};
struct grpc_mutate_socket_info {
  int fd;
  grpc_fd_usage usage;
};
struct grpc_socket_mutator_vtable {
  bool (*mutate_fd)(int fd, grpc_socket_mutator* mutator);
  int (*compare)(grpc_socket_mutator* a, grpc_socket_mutator* b);
  void (*destroy)(grpc_socket_mutator* mutator);
  bool (*mutate_fd_2)(const grpc_mutate_socket_info* info,
                      grpc_socket_mutator* mutator);
};
struct grpc_socket_mutator {
  const grpc_socket_mutator_vtable* vtable;
  gpr_refcount refcount;
};

namespace activation::client {
namespace {

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// The base struct first, so that gRPC's grpc_socket_mutator* is ours.
struct UnixSendBufferMutator {
  grpc_socket_mutator base;
  int bytes;
};
static_assert(offsetof(UnixSendBufferMutator, base) == 0);

UnixSendBufferMutator* Self(grpc_socket_mutator* m) {
  return reinterpret_cast<UnixSendBufferMutator*>(m);
}

bool Mutate(const grpc_mutate_socket_info* info, grpc_socket_mutator* m) {
  // A failure here fails the connection (gRPC closes it): only for a real
  // setsockopt error on a Unix socket, never for a TCP one.
  return SetUnixSendBuffer(info->fd, Self(m)->bytes).ok();
}

bool MutateLegacy(int fd, grpc_socket_mutator* m) {
  return SetUnixSendBuffer(fd, Self(m)->bytes).ok();
}

int Compare(grpc_socket_mutator* a, grpc_socket_mutator* b) {
  const int x = Self(a)->bytes;
  const int y = Self(b)->bytes;
  return x < y ? -1 : (x > y ? 1 : 0);
}

void Destroy(grpc_socket_mutator* m) { delete Self(m); }

constexpr grpc_socket_mutator_vtable kVtable = {&MutateLegacy, &Compare,
                                                &Destroy, &Mutate};

}  // namespace

absl::Status ValidateUnixSendBuffer(int bytes) {
  if (bytes < 0 || bytes > kMaxUnixSendBuffer) {
    return absl::InvalidArgumentError(
        absl::StrCat("unix_send_buffer: ", bytes, " is outside [0, ",
                     kMaxUnixSendBuffer, "] bytes"));
  }
  return absl::OkStatus();
}

absl::Status SetUnixSendBuffer(int fd, int bytes) {
  if (absl::Status valid = ValidateUnixSendBuffer(bytes); !valid.ok()) {
    return valid;
  }
  if (bytes == 0) return absl::OkStatus();
  int domain = 0;
  socklen_t size = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0) {
    return Errno("getsockopt(SO_DOMAIN)");
  }
  if (domain != AF_UNIX) return absl::OkStatus();
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) != 0) {
    return Errno("setsockopt(SO_SNDBUF)");
  }
  return absl::OkStatus();
}

void AddUnixSendBuffer(int bytes, grpc::ChannelArguments* args) {
  if (bytes == 0) return;
  auto* mutator = new UnixSendBufferMutator{{&kVtable, {}}, bytes};
  gpr_ref_init(&mutator->base.refcount, 1);
  // SetSocketMutator takes the reference: the arguments (and the channel or
  // server built from them) unref it when done, which calls Destroy.
  args->SetSocketMutator(&mutator->base);
}

}  // namespace activation::client
