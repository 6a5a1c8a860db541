// actload's h2 engine: see actload_h2.h. One H2Connection is a socket and an
// nghttp2 client session driven with nghttp2_session_mem_recv/mem_send (the
// loop owns the I/O, nghttp2 only the framing and HPACK), as h2load does.
#include "client/actload_h2.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace activation::client {
namespace {

using Clock = std::chrono::steady_clock;

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// The receive windows we offer (stream and connection): as h2load's defaults
// (-w 30 -W 30), 2^30 - 1, so flow control never paces a response.
constexpr int32_t kWindow = (1 << 30) - 1;
// A down connection is retried at most this often while calls wait for it.
constexpr auto kReconnectEvery = std::chrono::milliseconds(200);
// How often the loop looks for calls past their deadline.
constexpr auto kDeadlineScan = std::chrono::milliseconds(10);
// A call whose stream reset (at its deadline) has not closed it this long
// after means the connection no longer moves: it is dropped.
constexpr auto kStalled = std::chrono::seconds(1);
// Bytes taken from nghttp2 before they are written out (bounds the copy of a
// large body into the output buffer).
constexpr std::size_t kOutChunk = 256 * 1024;
constexpr std::size_t kReadBuffer = 256 * 1024;

// gRPC's "HTTP to gRPC Status Code Mapping" (doc/http-grpc-status-mapping.md)
// for a response without grpc-status.
absl::StatusCode FromHttpStatus(int http) {
  switch (http) {
    case 400:
      return absl::StatusCode::kInternal;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kUnknown;
  }
}

// RST_STREAM codes as gRPC maps them (PROTOCOL-HTTP2.md, "Errors").
absl::StatusCode FromResetCode(uint32_t code) {
  switch (code) {
    case NGHTTP2_REFUSED_STREAM:
      return absl::StatusCode::kUnavailable;
    case NGHTTP2_CANCEL:
      return absl::StatusCode::kCancelled;
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return absl::StatusCode::kResourceExhausted;
    case NGHTTP2_INADEQUATE_SECURITY:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

// grpc-message is percent-encoded (PROTOCOL-HTTP2.md, "Responses").
std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    int hi = 0, lo = 0;
    const auto hex = [](char c, int* v) {
      if (c >= '0' && c <= '9') *v = c - '0';
      else if (c >= 'a' && c <= 'f') *v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') *v = c - 'A' + 10;
      else return false;
      return true;
    };
    if (in[i] == '%' && i + 2 < in.size() &&
        hex(in[i + 1], &hi) && hex(in[i + 2], &lo)) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// grpc-timeout: at most 8 digits and a unit (PROTOCOL-HTTP2.md); rounded up.
std::string GrpcTimeout(std::chrono::nanoseconds timeout) {
  const int64_t ns = std::max<int64_t>(timeout.count(), 1);
  const int64_t ms = (ns + 999'999) / 1'000'000;
  if (ms < 100'000'000) return absl::StrCat(ms, "m");
  const int64_t s = (ms + 999) / 1000;
  if (s < 100'000'000) return absl::StrCat(s, "S");
  return absl::StrCat(std::min<int64_t>((s + 3599) / 3600, 99'999'999), "H");
}

// The length in a gRPC message prefix (bytes 1-4, big-endian).
uint32_t PrefixLength(const char* prefix) {
  uint32_t n = 0;
  for (int i = 1; i <= 4; ++i) n = (n << 8) | static_cast<uint8_t>(prefix[i]);
  return n;
}

std::string Errno(std::string_view what) {
  return absl::StrCat(Absl(what), ": ", std::strerror(errno));
}

}  // namespace

absl::StatusOr<H2Address> ParseH2Target(std::string_view target) {
  const auto unsupported = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--engine=h2: target '", Absl(target), "' ", Absl(why),
        "; the h2 engine takes host:port, [v6]:port, dns:///host:port, "
        "ipv4:addr:port, ipv6:[addr]:port or unix:path (use --engine=grpc "
        "for anything else)"));
  };
  H2Address a;
  std::string_view t = target;
  if (absl::StartsWith(Absl(t), "unix:")) {
    t.remove_prefix(5);
    if (absl::StartsWith(Absl(t), "//")) t.remove_prefix(2);  // unix:///abs
    if (t.empty()) return unsupported("has no socket path");
    a.unix_socket = true;
    a.path = std::string(t);
    a.authority = "localhost";
    if (a.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return unsupported("has a socket path too long for sockaddr_un");
    }
    return a;
  }
  if (absl::StartsWith(Absl(t), "dns:///")) {
    t.remove_prefix(7);
  } else if (absl::StartsWith(Absl(t), "ipv4:") ||
             absl::StartsWith(Absl(t), "ipv6:")) {
    t.remove_prefix(5);
  } else if (absl::StrContains(Absl(t), "://") ||
             absl::StartsWith(Absl(t), "dns:")) {
    return unsupported("uses a scheme the h2 engine does not resolve");
  }
  if (absl::StrContains(Absl(t), ",")) {
    return unsupported("is a list of addresses");
  }
  std::string_view host, port;
  if (absl::StartsWith(Absl(t), "[")) {
    const std::size_t close = t.find(']');
    if (close == std::string_view::npos || close + 1 >= t.size() ||
        t[close + 1] != ':') {
      return unsupported("is not [address]:port");
    }
    host = t.substr(1, close - 1);
    port = t.substr(close + 2);
  } else {
    const std::size_t colon = t.rfind(':');
    if (colon == std::string_view::npos || t.find(':') != colon) {
      return unsupported("is not host:port");
    }
    host = t.substr(0, colon);
    port = t.substr(colon + 1);
  }
  int port_number = 0;
  if (host.empty() || !absl::SimpleAtoi(Absl(port), &port_number) ||
      port_number < 1 || port_number > 65535) {
    return unsupported("has no valid host and port");
  }
  a.host = std::string(host);
  a.port = std::string(port);
  a.authority = std::string(t);
  return a;
}

H2Request::H2Request(std::string path, std::string_view authority,
                     std::string_view message, std::chrono::nanoseconds timeout)
    : timeout_(timeout) {
  fields_ = {":method",      "POST",
             ":scheme",      "http",
             ":path",        std::move(path),
             ":authority",   std::string(authority),
             "content-type", "application/grpc",
             "te",           "trailers",
             "grpc-timeout", GrpcTimeout(timeout),
             "user-agent",   "actload-h2"};
  for (std::size_t i = 0; i < fields_.size(); i += 2) {
    nv_.push_back(nghttp2_nv{
        .name = reinterpret_cast<uint8_t*>(fields_[i].data()),
        .value = reinterpret_cast<uint8_t*>(fields_[i + 1].data()),
        .namelen = fields_[i].size(),
        .valuelen = fields_[i + 1].size(),
        .flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE});
  }
  // Length-Prefixed-Message: compressed flag 0, 4-byte big-endian length.
  const uint32_t n = static_cast<uint32_t>(message.size());
  body_.reserve(5 + message.size());
  body_.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    body_.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  body_.append(message);
}

// One HTTP/2 connection of a loop.
class H2Connection {
 public:
  H2Connection(H2Loop* loop, H2Address address)
      : loop_(loop), address_(std::move(address)),
        read_buffer_(new uint8_t[kReadBuffer]) {}
  ~H2Connection() { Close(); }

  // Connects and starts a session; the error names the address.
  absl::Status Connect(std::chrono::nanoseconds timeout);
  bool up() const { return session_ != nullptr; }
  int fd() const { return fd_; }
  bool WantsWrite() const {
    return out_offset_ < out_.size() ||
           (session_ != nullptr && nghttp2_session_want_write(session_));
  }

  void Start(H2Call* call);
  // The socket is readable / writable.
  void OnReadable();
  void Flush();
  // Deadlines, and the retry of a down connection with waiting calls.
  void Tick(Clock::time_point now);

 private:
  void Submit(H2Call* call);
  // Fails every call in flight with `error` and closes the socket.
  void Down(const absl::Status& error);
  void Close();
  void Finish(H2Call* call, uint32_t reset_code);
  void Done(H2Call* call);

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
                      const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user_data);
  static int OnDataChunk(nghttp2_session* session, uint8_t flags,
                         int32_t stream_id, const uint8_t* data, size_t len,
                         void* user_data);
  static int OnStreamClose(nghttp2_session* session, int32_t stream_id,
                           uint32_t error_code, void* user_data);
  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame,
                         void* user_data);
  static ssize_t ReadBody(nghttp2_session* session, int32_t stream_id,
                          uint8_t* buf, size_t length, uint32_t* data_flags,
                          nghttp2_data_source* source, void* user_data);

  H2Loop* const loop_;
  const H2Address address_;
  std::unique_ptr<uint8_t[]> read_buffer_;
  int fd_ = -1;
  nghttp2_session* session_ = nullptr;
  bool goaway_ = false;  // the server is draining: no new streams here
  std::string out_;
  std::size_t out_offset_ = 0;
  // Calls submitted and not finished (for deadlines and connection loss).
  std::vector<H2Call*> active_;
  // Calls waiting for the connection to come (back) up.
  std::vector<H2Call*> waiting_;
  Clock::time_point next_attempt_{};
  std::chrono::nanoseconds connect_timeout_{std::chrono::seconds(1)};
};

absl::Status H2Connection::Connect(std::chrono::nanoseconds timeout) {
  connect_timeout_ = timeout;
  Close();
  const auto unavailable = [&](std::string_view what) {
    const std::string where =
        address_.unix_socket ? absl::StrCat("unix:", address_.path)
                             : address_.authority;
    return absl::UnavailableError(absl::StrCat(where, ": ", Absl(what)));
  };
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNIX;
  if (address_.unix_socket) {
    auto* un = reinterpret_cast<sockaddr_un*>(&storage);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, address_.path.data(), address_.path.size());
    length = sizeof(sockaddr_un);
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = getaddrinfo(address_.host.c_str(), address_.port.c_str(),
                                   &hints, &found);
        rc != 0) {
      return unavailable(absl::StrCat("resolve: ", gai_strerror(rc)));
    }
    std::memcpy(&storage, found->ai_addr, found->ai_addrlen);
    length = found->ai_addrlen;
    family = found->ai_family;
    freeaddrinfo(found);
  }
  fd_ = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return unavailable(Errno("socket"));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) {
      const absl::Status s = unavailable(Errno("connect"));
      Close();
      return s;
    }
    pollfd p{.fd = fd_, .events = POLLOUT, .revents = 0};
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
    if (poll(&p, 1, std::max(ms, 1)) != 1) {
      Close();
      return unavailable("connect: timed out");
    }
    int error = 0;
    socklen_t size = sizeof(error);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) {
      errno = error;
      const absl::Status s = unavailable(Errno("connect"));
      Close();
      return s;
    }
  }
  if (!address_.unix_socket) {
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  } else if (address_.send_buffer > 0 &&
             setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &address_.send_buffer,
                        sizeof(address_.send_buffer)) != 0) {
    const absl::Status s = unavailable(Errno("setsockopt(SO_SNDBUF)"));
    Close();
    return s;
  }
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                            &OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                         &OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrameRecv);
  const int rc = nghttp2_session_client_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (rc != 0) {
    Close();
    return absl::InternalError(nghttp2_strerror(rc));
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kWindow},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE,
       static_cast<uint32_t>(address_.max_frame_size)}};
  // The last entry only when asked: 0 is not a valid frame size.
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                          std::size(settings) -
                              (address_.max_frame_size > 0 ? 0 : 1));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        kWindow);
  goaway_ = false;
  return absl::OkStatus();
}

void H2Connection::Close() {
  if (session_ != nullptr) {
    nghttp2_session_del(session_);
    session_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  out_.clear();
  out_offset_ = 0;
}

void H2Connection::Start(H2Call* call) {
  call->status = absl::OkStatus();
  call->received.clear();
  call->deadline = Clock::now() + call->request->timeout();
  call->body_sent = 0;
  call->stream_id = -1;
  call->http_status = 0;
  call->has_grpc_status = false;
  call->grpc_status = 0;
  call->grpc_message.clear();
  call->expired = false;
  if (!up() || goaway_) {
    waiting_.push_back(call);
    return;
  }
  Submit(call);
}

void H2Connection::Submit(H2Call* call) {
  nghttp2_data_provider provider{};
  provider.source.ptr = call;
  provider.read_callback = &ReadBody;
  const H2Request& r = *call->request;
  const int32_t id = nghttp2_submit_request(session_, nullptr, r.nv_.data(),
                                            r.nv_.size(), &provider, call);
  if (id < 0) {
    call->status = absl::InternalError(
        absl::StrCat("nghttp2_submit_request: ", nghttp2_strerror(id)));
    Done(call);
    return;
  }
  call->stream_id = id;
  call->active_index = static_cast<int>(active_.size());
  active_.push_back(call);
}

ssize_t H2Connection::ReadBody(nghttp2_session* /*session*/,
                               int32_t /*stream_id*/, uint8_t* buf,
                               size_t length, uint32_t* data_flags,
                               nghttp2_data_source* source,
                               void* /*user_data*/) {
  auto* call = static_cast<H2Call*>(source->ptr);
  const std::string& body = call->request->body();
  const std::size_t n = std::min(length, body.size() - call->body_sent);
  std::memcpy(buf, body.data() + call->body_sent, n);
  call->body_sent += n;
  if (call->body_sent == body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

int H2Connection::OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
                           const uint8_t* name, size_t namelen,
                           const uint8_t* value, size_t valuelen,
                           uint8_t /*flags*/, void* /*user_data*/) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* call = static_cast<H2Call*>(
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (call == nullptr) return 0;
  const std::string_view n(reinterpret_cast<const char*>(name), namelen);
  const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") {
    if (!absl::SimpleAtoi(Absl(v), &call->http_status)) call->http_status = -1;
  } else if (n == "grpc-status") {
    call->has_grpc_status = true;
    if (!absl::SimpleAtoi(Absl(v), &call->grpc_status) ||
        call->grpc_status < 0 || call->grpc_status > 16) {
      call->grpc_status = static_cast<int>(absl::StatusCode::kUnknown);
    }
  } else if (n == "grpc-message") {
    call->grpc_message = PercentDecode(v);
  }
  return 0;
}

int H2Connection::OnDataChunk(nghttp2_session* session, uint8_t /*flags*/,
                              int32_t stream_id, const uint8_t* data,
                              size_t len, void* /*user_data*/) {
  auto* call = static_cast<H2Call*>(
      nghttp2_session_get_stream_user_data(session, stream_id));
  if (call != nullptr) {
    std::string& r = call->received;
    if (r.size() < 5 && r.size() + len >= 5) {
      // The prefix is complete: make room for the whole message at once.
      std::string prefix = r;
      prefix.append(reinterpret_cast<const char*>(data), 5 - r.size());
      r.reserve(5 + std::min<std::size_t>(PrefixLength(prefix.data()),
                                          std::size_t{1} << 30));
    }
    r.append(reinterpret_cast<const char*>(data), len);
  }
  return 0;
}

int H2Connection::OnStreamClose(nghttp2_session* session, int32_t stream_id,
                                uint32_t error_code, void* user_data) {
  auto* call = static_cast<H2Call*>(
      nghttp2_session_get_stream_user_data(session, stream_id));
  if (call != nullptr) {
    static_cast<H2Connection*>(user_data)->Finish(call, error_code);
  }
  return 0;
}

int H2Connection::OnFrameRecv(nghttp2_session* /*session*/,
                              const nghttp2_frame* frame, void* user_data) {
  // Streams above the GOAWAY's last id are closed by nghttp2 (REFUSED_STREAM:
  // UNAVAILABLE, as gRPC reports them); no new ones go on this connection.
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    static_cast<H2Connection*>(user_data)->goaway_ = true;
  }
  return 0;
}

void H2Connection::Finish(H2Call* call, uint32_t reset_code) {
  if (call->expired) {
    call->status = absl::DeadlineExceededError("Deadline Exceeded");
  } else if (call->has_grpc_status) {
    call->status = absl::Status(static_cast<absl::StatusCode>(call->grpc_status),
                                call->grpc_message);
    if (call->status.ok()) {
      // A unary response is exactly one uncompressed Length-Prefixed-Message.
      const std::string& r = call->received;
      if (r.size() < 5) {
        call->status = absl::InternalError(
            r.empty() ? "no response message for a unary call"
                      : "response truncated inside the gRPC message prefix");
      } else {
        const uint32_t n = PrefixLength(r.data());
        if (r[0] != 0) {
          call->status = absl::InternalError(
              "compressed response message (no compression was offered)");
        } else if (n != r.size() - 5) {
          call->status = absl::InternalError(absl::StrCat(
              "response message prefix says ", n, " bytes, ", r.size() - 5,
              " arrived"));
        }
      }
    }
  } else if (reset_code != NGHTTP2_NO_ERROR) {
    call->status = absl::Status(
        FromResetCode(reset_code),
        absl::StrCat("stream reset: ", nghttp2_http2_strerror(reset_code)));
  } else if (call->http_status != 200 && call->http_status != 0) {
    call->status = absl::Status(
        FromHttpStatus(call->http_status),
        absl::StrCat("HTTP status ", call->http_status, " without grpc-status"));
  } else {
    call->status = absl::InternalError("stream ended without grpc-status");
  }
  if (!call->status.ok()) call->received.clear();
  if (session_ != nullptr && call->stream_id > 0) {
    nghttp2_session_set_stream_user_data(session_, call->stream_id, nullptr);
  }
  // Out of the active list (swap with the last).
  const int i = call->active_index;
  if (i >= 0) {
    active_[i] = active_.back();
    active_[i]->active_index = i;
    active_.pop_back();
    call->active_index = -1;
  }
  Done(call);
}

void H2Connection::Done(H2Call* call) { loop_->done_.push_back(call); }

void H2Connection::Down(const absl::Status& error) {
  std::vector<H2Call*> failed;
  failed.swap(active_);
  Close();
  for (H2Call* call : failed) {
    call->active_index = -1;
    call->status = error;
    call->received.clear();
    Done(call);
  }
  next_attempt_ = Clock::now() + kReconnectEvery;
}

void H2Connection::OnReadable() {
  if (!up()) return;
  for (;;) {
    const ssize_t n = recv(fd_, read_buffer_.get(), kReadBuffer, 0);
    if (n > 0) {
      const ssize_t used =
          nghttp2_session_mem_recv(session_, read_buffer_.get(), n);
      if (used < 0) {
        return Down(absl::UnavailableError(absl::StrCat(
            "HTTP/2 protocol error from the server: ",
            nghttp2_strerror(static_cast<int>(used)))));
      }
      if (static_cast<std::size_t>(n) < kReadBuffer) break;
      continue;
    }
    if (n == 0) {
      return Down(absl::UnavailableError(
          goaway_ ? "connection closed by the server after GOAWAY"
                  : "connection closed by the server"));
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    return Down(absl::UnavailableError(Errno("recv")));
  }
}

void H2Connection::Flush() {
  while (up()) {
    if (out_offset_ < out_.size()) {
      const ssize_t n = send(fd_, out_.data() + out_offset_,
                             out_.size() - out_offset_, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        return Down(absl::UnavailableError(Errno("send")));
      }
      out_offset_ += static_cast<std::size_t>(n);
      continue;
    }
    out_.clear();
    out_offset_ = 0;
    while (out_.size() < kOutChunk) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        return Down(absl::InternalError(absl::StrCat(
            "nghttp2_session_mem_send: ", nghttp2_strerror(static_cast<int>(n)))));
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data),
                  static_cast<std::size_t>(n));
    }
    if (out_.empty()) break;
  }
  // A session that has finished (GOAWAY answered, nothing left in flight).
  if (up() && active_.empty() &&
      (goaway_ || (!nghttp2_session_want_read(session_) &&
                   !nghttp2_session_want_write(session_)))) {
    Close();
    next_attempt_ = Clock::now();  // reconnect at once for waiting calls
  }
}

void H2Connection::Tick(Clock::time_point now) {
  for (std::size_t i = 0; i < active_.size(); ++i) {
    H2Call* call = active_[i];
    if (now < call->deadline) continue;
    if (!call->expired) {
      // As gRPC's client: the call fails DEADLINE_EXCEEDED and its stream is
      // reset (CANCEL); the close comes back through OnStreamClose.
      call->expired = true;
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, call->stream_id,
                                NGHTTP2_CANCEL);
    } else if (now >= call->deadline + kStalled) {
      return Down(absl::UnavailableError(
          "connection stalled: a stream reset at its deadline never closed"));
    }
  }
  if (!waiting_.empty() && (up() ? !goaway_ : now >= next_attempt_)) {
    std::vector<H2Call*> waiting;
    waiting.swap(waiting_);
    if (!up()) {
      if (absl::Status s = Connect(connect_timeout_); !s.ok()) {
        next_attempt_ = Clock::now() + kReconnectEvery;
        for (H2Call* call : waiting) {
          call->status = s;
          Done(call);
        }
        return;
      }
    }
    for (H2Call* call : waiting) Submit(call);
  }
}

H2Loop::H2Loop(H2Handler* handler) : handler_(handler) {}
H2Loop::~H2Loop() = default;

absl::StatusOr<int> H2Loop::AddConnection(
    const H2Address& address, std::chrono::nanoseconds connect_timeout) {
  auto connection = std::make_unique<H2Connection>(this, address);
  if (absl::Status s = connection->Connect(connect_timeout); !s.ok()) return s;
  connections_.push_back(std::move(connection));
  return static_cast<int>(connections_.size()) - 1;
}

void H2Loop::Start(int connection, H2Call* call) {
  ++pending_;
  connections_[connection]->Start(call);
}

void H2Loop::Run() {
  std::vector<pollfd> fds;
  std::vector<H2Connection*> polled;
  Clock::time_point next_scan = Clock::now() + kDeadlineScan;
  // Calls started before Run (or while waiting) are submitted by Tick.
  for (auto& c : connections_) c->Tick(Clock::now());
  while (pending_ > 0) {
    // Answers first: the handler starts the next calls, which the flush
    // below sends in the same write.
    while (!done_.empty()) {
      std::vector<H2Call*> done;
      done.swap(done_);
      for (H2Call* call : done) {
        --pending_;
        handler_->Answered(call);
      }
    }
    fds.clear();
    polled.clear();
    for (auto& c : connections_) {
      c->Flush();
      if (!c->up()) continue;
      fds.push_back(pollfd{.fd = c->fd(),
                           .events = static_cast<short>(
                               POLLIN | (c->WantsWrite() ? POLLOUT : 0)),
                           .revents = 0});
      polled.push_back(c.get());
    }
    if (!done_.empty()) continue;  // a flush failed calls
    if (pending_ == 0) break;
    const int ready = poll(fds.data(), fds.size(),
                           static_cast<int>(kDeadlineScan.count()));
    if (ready > 0) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) {
          polled[i]->OnReadable();
        }
        if (fds[i].revents & POLLOUT) polled[i]->Flush();
      }
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_scan) {
      next_scan = now + kDeadlineScan;
      for (auto& c : connections_) c->Tick(now);
    }
  }
}

}  // namespace activation::client
