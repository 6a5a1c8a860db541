#include "client/metrics_scrape.h"

#include <civetweb.h>

#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace activation::client {
namespace {

struct Url {
  std::string host;
  int port = 0;
  std::string path = "/metrics";
};

absl::StatusOr<Url> ParseTarget(absl::string_view target) {
  absl::string_view rest = target;
  Url url;
  if (absl::ConsumePrefix(&rest, "http://")) {
    if (const std::size_t slash = rest.find('/');
        slash != absl::string_view::npos) {
      url.path = std::string(rest.substr(slash));
      rest = rest.substr(0, slash);
    }
  } else if (absl::StrContains(rest, "://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics target \"", target, "\": only http:// is supported"));
  }
  const std::size_t colon = rest.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(rest.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics target \"", target,
                     "\" is not host:port (e.g. 127.0.0.1:9464) or an http:// "
                     "URL with a port"));
  }
  absl::string_view host = rest.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  url.host = std::string(host);
  url.port = port;
  return url;
}

// One sample line: name, optional {labels}, value, optional timestamp.
class LineParser {
 public:
  explicit LineParser(absl::string_view line) : s_(line) {}

  absl::StatusOr<MetricSample> Parse() {
    MetricSample sample;
    while (i_ < s_.size() && IsNameChar(s_[i_], i_ == 0, true)) ++i_;
    if (i_ == 0) return Error("expected a metric name");
    sample.name = std::string(s_.substr(0, i_));
    if (i_ < s_.size() && s_[i_] == '{') {
      ++i_;
      if (!ParseLabels(&sample)) return Error("malformed labels");
    }
    const std::vector<absl::string_view> rest =
        absl::StrSplit(s_.substr(i_), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (rest.empty() || rest.size() > 2) {
      return Error("expected a value (and an optional timestamp)");
    }
    if (!ParseValue(rest[0], &sample.value)) return Error("value is not a number");
    return sample;
  }

 private:
  static bool IsNameChar(char c, bool first, bool colon) {
    return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
           (colon && c == ':') ||
           (!first && absl::ascii_isdigit(static_cast<unsigned char>(c)));
  }

  static bool ParseValue(absl::string_view text, double* value) {
    if (text == "+Inf" || text == "Inf") {
      *value = std::numeric_limits<double>::infinity();
    } else if (text == "-Inf") {
      *value = -std::numeric_limits<double>::infinity();
    } else if (text == "NaN") {
      *value = std::numeric_limits<double>::quiet_NaN();
    } else {
      return absl::SimpleAtod(text, value) && std::isfinite(*value);
    }
    return true;
  }

  bool ParseLabels(MetricSample* sample) {
    while (true) {
      SkipSpace();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return true;
      }
      const std::size_t start = i_;
      while (i_ < s_.size() && IsNameChar(s_[i_], i_ == start, false)) ++i_;
      if (i_ == start) return false;
      const std::string name(s_.substr(start, i_ - start));
      SkipSpace();
      if (i_ + 1 >= s_.size() || s_[i_] != '=' || s_[i_ + 1] != '"') {
        return false;
      }
      i_ += 2;
      std::string value;
      while (true) {
        if (i_ >= s_.size()) return false;
        const char c = s_[i_++];
        if (c == '"') break;
        if (c != '\\') {
          value += c;
          continue;
        }
        if (i_ >= s_.size()) return false;
        const char e = s_[i_++];
        if (e == 'n') {
          value += '\n';
        } else if (e == '\\' || e == '"') {
          value += e;
        } else {
          return false;
        }
      }
      sample->labels[name] = std::move(value);
      SkipSpace();
      if (i_ < s_.size() && s_[i_] == ',') ++i_;
    }
  }

  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " at column ", i_ + 1, " of \"", s_, "\""));
  }

  absl::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

absl::StatusOr<std::string> FetchMetrics(const std::string& target,
                                         absl::Duration timeout) {
  absl::StatusOr<Url> url = ParseTarget(target);
  if (!url.ok()) return url.status();
  mg_init_library(0);
  char error[256] = {0};
  mg_connection* conn =
      mg_connect_client(url->host.c_str(), url->port, 0, error, sizeof(error));
  if (conn == nullptr) {
    mg_exit_library();
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", target, ": ", error));
  }
  mg_printf(conn,
            "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/plain\r\n"
            "Connection: close\r\n\r\n",
            url->path.c_str(), url->host.c_str());
  absl::StatusOr<std::string> result;
  if (mg_get_response(conn, error, sizeof(error),
                      static_cast<int>(absl::ToInt64Milliseconds(timeout))) <
      0) {
    result = absl::UnavailableError(
        absl::StrCat("no answer from ", target, ": ", error));
  } else if (const int code = mg_get_response_info(conn)->status_code;
             code != 200) {
    result = absl::FailedPreconditionError(
        absl::StrCat("GET ", url->path, " on ", target, ": HTTP ", code));
  } else {
    std::string body;
    char buffer[16384];
    int n;
    while ((n = mg_read(conn, buffer, sizeof(buffer))) > 0) {
      body.append(buffer, static_cast<std::size_t>(n));
    }
    result = std::move(body);
  }
  mg_close_connection(conn);
  mg_exit_library();
  return result;
}

absl::StatusOr<std::vector<MetricSample>> ParseMetricsText(
    absl::string_view text) {
  std::vector<MetricSample> samples;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    absl::StatusOr<MetricSample> sample = LineParser(line).Parse();
    if (!sample.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics line ", line_number, ": ", sample.status().message()));
    }
    samples.push_back(*std::move(sample));
  }
  return samples;
}

}  // namespace activation::client
