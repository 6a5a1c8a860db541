// What the kernel says about this process's own sockets, for the tests of
// the send buffers set on Unix and TCP connections (actserver's listener,
// the client library, actload's h2 engine): each socket is found through
// /proc/self/fd, and its SO_SNDBUF read with getsockopt.
#ifndef TESTS_SOCKET_PROBE_H_
#define TESTS_SOCKET_PROBE_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"

namespace socket_probe {

// SO_SNDBUF of every open descriptor of this process that `matches` (which
// gets the descriptor; anything that is not a socket fails its getsockopt
// or getsockname there and is skipped).
inline std::vector<int> SendBuffersOf(const std::function<bool(int fd)>& matches) {
  std::vector<int> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &fd) || !matches(fd)) continue;
    int value = 0;
    socklen_t size = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, &size) == 0) found.push_back(value);
  }
  return found;
}

// SO_SNDBUF of this process's sockets connected to the Unix socket `path`
// (getpeername): a client's end of its connections to a server listening
// there; the server's own ends are named `path` themselves and have no such
// peer.
inline std::vector<int> ClientSendBuffers(const std::string& path) {
  return SendBuffersOf([&path](int fd) {
    sockaddr_un peer{};
    socklen_t length = sizeof(peer);
    return getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0 &&
           peer.sun_family == AF_UNIX && path == peer.sun_path;
  });
}

// The integer in a /proc/sys file (0 if unreadable).
inline int ReadSysctl(const char* file) {
  std::ifstream in(file);
  int value = 0;
  in >> value;
  return value;
}

}  // namespace socket_probe

#endif  // TESTS_SOCKET_PROBE_H_
