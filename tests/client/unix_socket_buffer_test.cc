// SetUnixSendBuffer on real sockets: Unix ones get the size, others are left
// alone, sizes out of range are refused by name.
#include "client/unix_socket_buffer.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace activation::client {
namespace {

int SendBuffer(int fd) {
  int bytes = -1;
  socklen_t size = sizeof(bytes);
  EXPECT_EQ(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, &size), 0);
  return bytes;
}

// Below the kernel's default (net.core.wmem_default, 208 KiB), so never capped
// by net.core.wmem_max and never equal to the default: the kernel reports
// twice what it was given (its bookkeeping share).
constexpr int kSmall = 120 * 1024;

TEST(UnixSocketBufferTest, SetsTheSendBufferOfUnixSockets) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  const int before = SendBuffer(fds[0]);
  ASSERT_NE(before, 2 * kSmall);
  EXPECT_TRUE(SetUnixSendBuffer(fds[0], kSmall).ok());
  EXPECT_EQ(SendBuffer(fds[0]), 2 * kSmall);
  EXPECT_EQ(SendBuffer(fds[1]), before);  // the peer's own is its own
  // 0 keeps what the socket has.
  EXPECT_TRUE(SetUnixSendBuffer(fds[1], 0).ok());
  EXPECT_EQ(SendBuffer(fds[1]), before);
  close(fds[0]);
  close(fds[1]);
}

TEST(UnixSocketBufferTest, LeavesTcpSocketsToAutotuning) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  const int before = SendBuffer(fd);
  EXPECT_TRUE(SetUnixSendBuffer(fd, kSmall).ok());
  EXPECT_EQ(SendBuffer(fd), before);
  close(fd);
}

TEST(UnixSocketBufferTest, RefusesSizesOutOfRangeAndNonSockets) {
  for (const int bad : {-1, kMaxUnixSendBuffer + 1}) {
    const absl::Status s = ValidateUnixSendBuffer(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("unix_send_buffer"), std::string::npos) << s;
    EXPECT_EQ(SetUnixSendBuffer(0, bad).code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(ValidateUnixSendBuffer(0).ok());
  EXPECT_TRUE(ValidateUnixSendBuffer(kMaxUnixSendBuffer).ok());
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  EXPECT_EQ(SetUnixSendBuffer(pipe_fds[0], kSmall).code(),
            absl::StatusCode::kInternal);  // getsockopt: not a socket
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

}  // namespace
}  // namespace activation::client
