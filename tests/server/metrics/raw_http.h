// HTTP/1.1 as a prober or scraper speaks it, over a plain TCP socket to
// 127.0.0.1: for the tests of the metrics port (/metrics, /healthz, /readyz).
#ifndef TESTS_SERVER_METRICS_RAW_HTTP_H_
#define TESTS_SERVER_METRICS_RAW_HTTP_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace actserver::testing {

// Sends `request` to 127.0.0.1:port and returns everything the server sent
// before closing (the server does not keep connections alive), or
// "connect failed". Reads time out after 10 s.
inline std::string HttpExchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "connect failed";
  }
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  close(fd);
  return response;
}

// `method` `path` with "Connection: close": the whole response.
inline std::string HttpGet(int port, const std::string& path,
                           const std::string& method = "GET") {
  return HttpExchange(port, method + " " + path +
                                " HTTP/1.1\r\nHost: localhost\r\n"
                                "Connection: close\r\n\r\n");
}

// The body of a response (what follows the blank line).
inline std::string HttpBody(const std::string& response) {
  const std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

}  // namespace actserver::testing

#endif  // TESTS_SERVER_METRICS_RAW_HTTP_H_
