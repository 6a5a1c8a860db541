// actload's h2 engine: gRPC unary calls spoken directly over HTTP/2 with
// nghttp2 (the library h2load is built on), for plaintext TCP and unix:
// targets. gRPC's C++ client costs ~35 k instructions per call
// (docs/benchmarks.md, "RPC path"); on a machine where client and server
// share the cores every one of them is taken from the server. This engine
// sends a prebuilt HEADERS block and a prebuilt DATA payload (5-byte gRPC
// prefix + the request serialised once), and gives back the response message
// and the call's gRPC status, so the runner verifies and reports its calls
// exactly as it does the gRPC engine's.
//
// What the status of a call is follows gRPC over HTTP/2
// (PROTOCOL-HTTP2.md): grpc-status / grpc-message from the trailers (or a
// trailers-only response); an HTTP status other than 200 without
// grpc-status mapped as gRPC's "HTTP to gRPC status code mapping"; a
// RST_STREAM mapped as gRPC's "Errors" table; a lost connection, GOAWAY or
// refused connect UNAVAILABLE; the call's deadline passed DEADLINE_EXCEEDED
// (the stream is reset); a response that is not exactly one uncompressed
// length-prefixed message INTERNAL.
//
// Thread safety: an H2Loop and its connections are used by one thread, the
// one calling Run (and Start, from its handler or before Run).
#ifndef CLIENT_ACTLOAD_H2_H_
#define CLIENT_ACTLOAD_H2_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nghttp2/nghttp2.h"

namespace activation::client {

// Where an h2 connection goes: TCP host and port, or a unix socket path.
struct H2Address {
  bool unix_socket = false;
  std::string host;  // TCP: name or literal address (no brackets)
  std::string port;  // TCP
  std::string path;  // unix socket
  std::string authority;  // the :authority header
  // unix: SO_SNDBUF of the connection's socket in bytes (0: the kernel's
  // default, net.core.wmem_default). Over a Unix stream socket the sender's
  // buffer alone bounds the bytes in flight, so it decides how many pieces
  // a large request arrives in. TCP sockets keep the kernel's autotuning.
  int send_buffer = 0;
  // SETTINGS_MAX_FRAME_SIZE announced to the server: the largest DATA frame
  // it may send us, in [16 KiB, 16 MiB - 1] (RFC 9113 6.5.2); 0 announces
  // nothing (HTTP/2's default, 16 KiB, as h2load). A 4 MiB response then
  // arrives in 4 frames of 1 MiB instead of 256 of 16 KiB.
  int max_frame_size = 0;
};

// Parses a gRPC target the h2 engine can reach: host:port, [v6]:port,
// dns:///host:port, ipv4:addr:port, ipv6:[addr]:port, unix:path,
// unix:///abs/path. INVALID_ARGUMENT otherwise (a list of addresses, other
// schemes), naming the target and --engine=grpc.
absl::StatusOr<H2Address> ParseH2Target(std::string_view target);

// One kind of call, prebuilt once: its header block and its framed body.
class H2Request {
 public:
  // `path` is /package.Service/Method; `message` the serialised request;
  // `timeout` becomes grpc-timeout (the server's deadline; the loop enforces
  // the same deadline itself).
  H2Request(std::string path, std::string_view authority,
            std::string_view message, std::chrono::nanoseconds timeout);
  H2Request(const H2Request&) = delete;
  H2Request& operator=(const H2Request&) = delete;

  const std::string& body() const { return body_; }
  std::chrono::nanoseconds timeout() const { return timeout_; }

 private:
  friend class H2Connection;
  std::vector<std::string> fields_;  // name, value, name, value, ...
  std::vector<nghttp2_nv> nv_;       // points into fields_
  std::string body_;                 // 5-byte prefix + message
  std::chrono::nanoseconds timeout_;
};

// One call: the caller owns it (a closed-loop slot reuses it) and sets
// `request` and `user` before H2Loop::Start; the loop fills in the rest and
// hands it to the handler.
struct H2Call {
  const H2Request* request = nullptr;
  void* user = nullptr;
  // Results, valid in H2Handler::Answered: the status, and if it is OK the
  // response message (length prefix removed; valid until the next Start).
  absl::Status status;
  std::string_view message() const {
    return std::string_view(received).substr(std::min<std::size_t>(
        5, received.size()));
  }

  // The loop's bookkeeping.
  std::string received;  // DATA as it arrives (its capacity kept for reuse)
  std::chrono::steady_clock::time_point deadline;
  std::size_t body_sent = 0;
  int32_t stream_id = -1;
  int http_status = 0;
  bool has_grpc_status = false;
  int grpc_status = 0;
  std::string grpc_message;
  bool expired = false;
  int active_index = -1;
};

class H2Handler {
 public:
  virtual ~H2Handler() = default;
  // `call` is finished (status and message set). The handler may Start it
  // (or another call) again from here.
  virtual void Answered(H2Call* call) = 0;
};

class H2Connection;

// The event loop of one thread: its connections and their calls.
class H2Loop {
 public:
  explicit H2Loop(H2Handler* handler);
  ~H2Loop();
  H2Loop(const H2Loop&) = delete;
  H2Loop& operator=(const H2Loop&) = delete;

  // Connects now (blocking, bounded by `connect_timeout`) and returns the
  // connection's index. UNAVAILABLE naming the address if it fails.
  absl::StatusOr<int> AddConnection(const H2Address& address,
                                    std::chrono::nanoseconds connect_timeout);

  // Starts `call` on connection `connection`. On a connection that is down
  // the call waits for the next reconnection attempt and fails UNAVAILABLE
  // if that fails too (at most a few attempts a second, so a dead server
  // yields errors at a bounded rate rather than a spin).
  void Start(int connection, H2Call* call);

  // Runs until no call is in flight or waiting. Returns at once if none.
  void Run();

  // Calls started and not yet answered.
  int64_t pending() const { return pending_; }

 private:
  friend class H2Connection;
  H2Handler* const handler_;
  std::vector<std::unique_ptr<H2Connection>> connections_;
  std::vector<H2Call*> done_;  // finished, for the handler
  int64_t pending_ = 0;
};

}  // namespace activation::client

#endif  // CLIENT_ACTLOAD_H2_H_
