#include "server/metrics/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace actserver::metrics {
namespace {

// Appends `value` as exactly `width` decimal digits.
void AppendDigits(std::string* out, std::int64_t value, int width) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(digits, static_cast<std::size_t>(width));
}

// "2026-11-30T01:55:03.815582Z", by hand: absl::FormatTime was 40 % of a
// line's cost, and even absl's civil-time conversion is a time-zone lookup.
// The date is Howard Hinnant's civil_from_days (proleptic Gregorian, exact
// for every date absl::Time holds that a log line will show).
void AppendTime(std::string* out, absl::Time t) {
  const std::int64_t unix_micros = absl::ToUnixMicros(t);
  const auto floor_div = [](std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
  };
  const std::int64_t secs = floor_div(unix_micros, 1'000'000);
  const std::int64_t micros = unix_micros - secs * 1'000'000;
  std::int64_t days = floor_div(secs, 86'400);
  const std::int64_t second_of_day = secs - days * 86'400;
  days += 719'468;  // days from 0000-03-01 to 1970-01-01
  const std::int64_t era = floor_div(days, 146'097);
  const std::int64_t doe = days - era * 146'097;  // [0, 146096]
  const std::int64_t yoe =
      (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;  // March = 0
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2);
  AppendDigits(out, year, 4);
  *out += '-';
  AppendDigits(out, month, 2);
  *out += '-';
  AppendDigits(out, day, 2);
  *out += 'T';
  AppendDigits(out, second_of_day / 3'600, 2);
  *out += ':';
  AppendDigits(out, second_of_day / 60 % 60, 2);
  *out += ':';
  AppendDigits(out, second_of_day % 60, 2);
  *out += '.';
  AppendDigits(out, micros, 6);
  *out += 'Z';
}

bool NeedsEscape(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

void AppendJsonString(std::string* out, absl::string_view text) {
  *out += '"';
  // Most values (names, codes, peers) need no escape: copy them whole.
  if (std::none_of(text.begin(), text.end(), NeedsEscape)) {
    out->append(text.data(), text.size());
    *out += '"';
    return;
  }
  for (const char c : text) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          *out += c;
        }
    }
  }
  *out += '"';
}

}  // namespace

std::string JsonString(absl::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
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
  std::string line;
  line.reserve(256);
  line += "{\"time\":\"";
  AppendTime(&line, e.time);
  line += "\",\"peer\":";
  AppendJsonString(&line, e.peer);
  line += ",\"rpc\":";
  AppendJsonString(&line, e.rpc);
  line += ",\"function\":";
  AppendJsonString(&line, e.function);
  line += ",\"mode\":";
  AppendJsonString(&line, e.mode);
  line += ",\"dtype\":";
  AppendJsonString(&line, e.dtype);
  absl::StrAppend(&line, ",\"items\":", e.items, ",\"elements\":", e.elements,
                  ",\"code\":");
  AppendJsonString(&line, e.code);
  absl::StrAppend(&line, ",\"latency_us\":",
                  absl::ToInt64Microseconds(e.latency), ",\"request_id\":");
  AppendJsonString(&line, e.request_id);
  line += "}\n";
  return line;
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
