#include "server/socket_drain.h"

#include <dirent.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "absl/time/clock.h"

namespace actserver {
namespace {

// The local TCP port of `fd` if it is a connected (not listening) TCP
// socket over IPv4 or IPv6, else -1.
int ConnectedTcpPort(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return -1;
  int type = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      type != SOCK_STREAM) {
    return -1;
  }
  int listening = 0;
  len = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
      listening != 0) {
    return -1;
  }
  sockaddr_storage address{};
  len = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) {
    return -1;
  }
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return -1;
}

}  // namespace

SendQueues ServerSendQueues(std::span<const int> local_ports) {
  SendQueues queues;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return queues;
  const int own = dirfd(dir);
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    const int port = ConnectedTcpPort(static_cast<int>(fd));
    if (port <= 0 || std::find(local_ports.begin(), local_ports.end(),
                               port) == local_ports.end()) {
      continue;
    }
    // TCP: bytes in the send queue not yet acknowledged by the peer.
    int unacknowledged = 0;
    if (ioctl(static_cast<int>(fd), SIOCOUTQ, &unacknowledged) != 0) continue;
    ++queues.sockets;
    queues.unacknowledged_bytes += unacknowledged;
  }
  closedir(dir);
  return queues;
}

bool WaitForAcknowledgedWrites(std::span<const int> local_ports,
                               absl::Time deadline) {
  int empty_polls = 0;
  while (true) {
    if (ServerSendQueues(local_ports).unacknowledged_bytes == 0) {
      if (++empty_polls == 2) return true;
    } else {
      empty_polls = 0;
    }
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

}  // namespace actserver
