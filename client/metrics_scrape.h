// Reading a Prometheus endpoint from the command line: fetch /metrics over
// HTTP (civetweb's client) and parse the text exposition format into
// samples. Used by `actctl stats`; general enough for any exporter's text
// format (comments and timestamps are skipped).
//
// Example:
//   absl::StatusOr<std::string> text = FetchMetrics("127.0.0.1:9464", absl::Seconds(5));
//   absl::StatusOr<std::vector<MetricSample>> samples = ParseMetricsText(*text);
#ifndef CLIENT_METRICS_SCRAPE_H_
#define CLIENT_METRICS_SCRAPE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace activation::client {

struct MetricSample {
  std::string name;                           // "actsvc_rpcs_total"
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;                           // +-Inf and NaN as such
};

// GETs `target`'s metrics: "host:port" (path /metrics), "[::1]:port", or an
// http:// URL with a path. UNAVAILABLE when the connection fails or times
// out; FAILED_PRECONDITION for an HTTP status other than 200;
// INVALID_ARGUMENT for a target that is not host:port or an http URL.
absl::StatusOr<std::string> FetchMetrics(const std::string& target,
                                         absl::Duration timeout);

// Parses text format 0.0.4. INVALID_ARGUMENT naming the line for a sample
// line that does not parse (bad name, unterminated label, bad escape, value
// not a number).
absl::StatusOr<std::vector<MetricSample>> ParseMetricsText(
    absl::string_view text);

}  // namespace activation::client

#endif  // CLIENT_METRICS_SCRAPE_H_
