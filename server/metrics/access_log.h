// The optional access log: one JSON object per line per request, e.g.
//   {"time":"2026-11-30T01:02:03.456789Z","peer":"ipv4:127.0.0.1:40312",
//    "rpc":"Compute","function":"tanh","mode":"forward","dtype":"float32",
//    "items":1,"elements":1024,"code":"OK","latency_us":87,"request_id":"r-17"}
// (on one line). Off unless actserver is given --access_log; when off the
// request path pays one null-pointer test.
//
// Each line is written with one write(2) to a descriptor opened O_APPEND, so
// lines from concurrent requests never interleave and several processes may
// share a file; no lock is taken.
#ifndef SERVER_METRICS_ACCESS_LOG_H_
#define SERVER_METRICS_ACCESS_LOG_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace actserver::metrics {

struct AccessLogEntry {
  absl::Time time;               // when the request arrived
  absl::string_view peer;         // gRPC's peer string, "ipv4:1.2.3.4:5678"
  absl::string_view rpc;          // "Compute", ...
  absl::string_view function;     // catalogue name; "unknown" if invalid
  absl::string_view mode;         // "forward", ...; "unknown" if invalid
  absl::string_view dtype;        // "float32", ...; "unknown" if invalid
  std::uint64_t items = 1;       // computations (a batch's item count)
  std::uint64_t elements = 0;    // input values
  absl::string_view code;         // gRPC status code name, "OK"
  absl::Duration latency;        // server-side, as the histogram counts it
  absl::string_view request_id;   // x-request-id metadata, else the message id
};

// Thread-safe.
class AccessLog {
 public:
  // `path`: a file, appended to (created 0644 if missing), or "-" for
  // standard error. UNAVAILABLE (naming the path and the reason) if it cannot
  // be opened.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(
      const std::string& path);

  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Appends one line. A failed write is dropped (a full disk must not fail
  // RPCs) and counted.
  void Write(const AccessLogEntry& entry);

  // Lines that could not be written.
  std::uint64_t dropped() const;

  // The line Write appends, newline included.
  static std::string Format(const AccessLogEntry& entry);

 private:
  AccessLog(int fd, bool owned) : fd_(fd), owned_(owned) {}

  const int fd_;
  const bool owned_;
  std::atomic<std::uint64_t> dropped_{0};
};

// `text` as a JSON string literal, quotes included: ", \ and control
// characters escaped; other bytes copied (gRPC metadata is ASCII and
// protobuf strings are valid UTF-8).
std::string JsonString(absl::string_view text);

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_ACCESS_LOG_H_
