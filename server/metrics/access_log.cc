#include "server/metrics/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace actserver::metrics {

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(
    const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<AccessLog>(new AccessLog(STDERR_FILENO, false));
  }
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "access_log: cannot open \"", path, "\": ", std::strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(fd, true));
}

AccessLog::~AccessLog() {
  if (owned_) close(fd_);
}

std::string AccessLog::Format(const AccessLogEntry& e) {
  return absl::StrCat(
      "{\"time\":\"",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", e.time, absl::UTCTimeZone()),
      "\",\"peer\":", JsonString(e.peer), ",\"rpc\":", JsonString(e.rpc),
      ",\"function\":", JsonString(e.function), ",\"mode\":",
      JsonString(e.mode), ",\"dtype\":", JsonString(e.dtype),
      ",\"items\":", e.items, ",\"elements\":", e.elements,
      ",\"code\":", JsonString(e.code),
      ",\"latency_us\":", absl::ToInt64Microseconds(e.latency),
      ",\"request_id\":", JsonString(e.request_id), "}\n");
}

void AccessLog::Write(const AccessLogEntry& entry) {
  const std::string line = Format(entry);
  // One write(2) per line: with O_APPEND the kernel places each whole.
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size())) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t AccessLog::dropped() const {
  return dropped_.load(std::memory_order_relaxed);
}

}  // namespace actserver::metrics
