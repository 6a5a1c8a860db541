#include "client/stats_table.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace activation::client {
namespace {

using Labels = std::map<std::string, std::string>;
using Samples = std::vector<MetricSample>;

constexpr const char* kRpcs[] = {"Compute", "ComputeBatch", "ComputeStream",
                                 "ListActivations"};
constexpr const char* kRefusalReasons[] = {"memory_budget", "queue_full",
                                           "deadline_expired"};

bool Matches(const MetricSample& s, const Labels& match) {
  for (const auto& [key, value] : match) {
    const auto it = s.labels.find(key);
    if (it == s.labels.end() || it->second != value) return false;
  }
  return true;
}

// The sum of the samples named `name` that carry every label of `match`
// (0 when there are none).
double Sum(const Samples& samples, const std::string& name,
           const Labels& match = {}) {
  double total = 0;
  for (const MetricSample& s : samples) {
    if (s.name == name && Matches(s, match)) total += s.value;
  }
  return total;
}

const MetricSample* Find(const Samples& samples, const std::string& name) {
  for (const MetricSample& s : samples) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

BucketCounts Histogram(const Samples& samples, const std::string& base,
                       const Labels& match) {
  std::map<double, double> buckets;  // le -> cumulative, summed over series
  for (const MetricSample& s : samples) {
    if (s.name != base + "_bucket" || !Matches(s, match)) continue;
    const auto le = s.labels.find("le");
    if (le == s.labels.end()) continue;
    const double bound = le->second == "+Inf"
                             ? std::numeric_limits<double>::infinity()
                             : std::strtod(le->second.c_str(), nullptr);
    buckets[bound] += s.value;
  }
  BucketCounts h;
  for (const auto& [bound, cumulative] : buckets) {
    if (std::isinf(bound)) {
      h.count = cumulative;
    } else {
      h.upper_bounds.push_back(bound);
      h.cumulative.push_back(cumulative);
    }
  }
  h.sum = Sum(samples, base + "_sum", match);
  return h;
}

BucketCounts Minus(BucketCounts a, const BucketCounts& b) {
  if (a.upper_bounds != b.upper_bounds) return a;  // server restarted
  for (std::size_t i = 0; i < a.cumulative.size(); ++i) {
    a.cumulative[i] -= b.cumulative[i];
  }
  a.count -= b.count;
  a.sum -= b.sum;
  return a;
}

std::string Count(double v) {
  if (std::isnan(v)) return "-";
  // Whole numbers, and rates of 100/s and more, without a fraction.
  if ((v == std::floor(v) || std::fabs(v) >= 100) && std::fabs(v) < 1e15) {
    return absl::StrFormat("%.0f", v);
  }
  return absl::StrFormat("%.1f", v);
}

std::string Bytes(double v) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (std::fabs(v) >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  return unit == 0 ? absl::StrFormat("%.0f B", v)
                   : absl::StrFormat("%.1f %s", v, kUnits[unit]);
}

std::string Uptime(double seconds) {
  const long s = std::lround(seconds);
  if (s >= 86400) return absl::StrFormat("%ldd %ldh", s / 86400, s % 86400 / 3600);
  if (s >= 3600) return absl::StrFormat("%ldh %ldm", s / 3600, s % 3600 / 60);
  if (s >= 60) return absl::StrFormat("%ldm %lds", s / 60, s % 60);
  return absl::StrFormat("%lds", s);
}

// Left-aligns the first column, right-aligns the others.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t c = 0; c < row.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      line += c == 0 ? row[c] + pad : "  " + pad + row[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, "  ", line, "\n");
  }
  return out;
}

// A quantile for people: where it falls in the first bucket, interpolating
// from 0 would invent a figure, so say "<=" the bucket's bound instead.
std::string QuantileText(double q, const BucketCounts& h) {
  if (h.count > 0 && !h.upper_bounds.empty() && h.cumulative[0] >= q * h.count) {
    return "<=" + FormatSeconds(h.upper_bounds[0]);
  }
  return FormatSeconds(HistogramQuantile(q, h));
}

}  // namespace

double HistogramQuantile(double q, const BucketCounts& h) {
  if (h.count <= 0 || h.upper_bounds.empty()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double rank = q * h.count;
  double lower = 0, below = 0;
  for (std::size_t i = 0; i < h.upper_bounds.size(); ++i) {
    if (h.cumulative[i] >= rank) {
      const double in_bucket = h.cumulative[i] - below;
      if (in_bucket <= 0) return h.upper_bounds[i];
      return lower + (h.upper_bounds[i] - lower) * (rank - below) / in_bucket;
    }
    lower = h.upper_bounds[i];
    below = h.cumulative[i];
  }
  return h.upper_bounds.back();
}

std::string FormatSeconds(double s) {
  if (std::isnan(s)) return "-";
  if (s < 1e-3) return absl::StrFormat("%.0fus", s * 1e6);
  if (s < 1) return absl::StrFormat("%.3gms", s * 1e3);
  return absl::StrFormat("%.3gs", s);
}

std::string FormatStats(const std::string& source, const Samples& now,
                        const Samples* before, absl::Duration interval) {
  const double seconds = absl::ToDoubleSeconds(interval);
  const bool rates = before != nullptr && seconds > 0;
  // A counter's figure: its total, or its rate over the interval.
  const auto counter = [&](const std::string& name, const Labels& match) {
    const double v = Sum(now, name, match);
    return rates ? (v - Sum(*before, name, match)) / seconds : v;
  };
  const auto histogram = [&](const std::string& base, const Labels& match) {
    BucketCounts h = Histogram(now, base, match);
    return rates ? Minus(h, Histogram(*before, base, match)) : h;
  };

  std::string out;
  if (const MetricSample* build = Find(now, "actsvc_build_info")) {
    const auto label = [&](const char* key) {
      const auto it = build->labels.find(key);
      return it == build->labels.end() ? std::string("?") : it->second;
    };
    absl::StrAppend(&out, "actserver ", label("version"), " at ", source,
                    " (SIMD ", label("simd_target"), ", gRPC ",
                    label("grpc_version"), ")");
  } else {
    absl::StrAppend(&out, source, " (no actsvc_build_info: not an actserver?)");
  }
  if (Find(now, "process_start_time_seconds") != nullptr) {
    const double up = static_cast<double>(std::time(nullptr)) -
                      Sum(now, "process_start_time_seconds");
    absl::StrAppend(&out, ": up ", Uptime(std::max(0.0, up)), ", RSS ",
                    Bytes(Sum(now, "process_resident_memory_bytes")), ", CPU ",
                    absl::StrFormat("%.2f s", Sum(now, "process_cpu_seconds_total")),
                    ", ", Count(Sum(now, "process_threads")), " threads, ",
                    Count(Sum(now, "process_open_fds")), " open fds");
  }
  absl::StrAppend(&out, "\n",
                  rates ? absl::StrCat("Rates per second over the last ",
                                       absl::FormatDuration(interval),
                                       "; latency quantiles over the same "
                                       "interval.\n")
                        : std::string("Totals since the server started.\n"),
                  "\n");

  std::vector<std::vector<std::string>> rpc_rows = {
      {"RPC", rates ? "calls/s" : "calls", rates ? "errors/s" : "errors",
       "in flight", "p50", "p90", "p99", "mean"}};
  for (const char* rpc : kRpcs) {
    const double calls = counter("actsvc_rpcs_total", {{"rpc", rpc}});
    const double ok = counter("actsvc_rpcs_total", {{"rpc", rpc}, {"code", "OK"}});
    const BucketCounts latency =
        histogram("actsvc_request_duration_seconds", {{"rpc", rpc}});
    const double in_flight = Sum(now, "actsvc_rpcs_in_flight", {{"rpc", rpc}});
    rpc_rows.push_back(
        {rpc, Count(calls), Count(calls - ok), Count(in_flight),
         QuantileText(0.5, latency), QuantileText(0.9, latency),
         QuantileText(0.99, latency),
         FormatSeconds(latency.count > 0 ? latency.sum / latency.count
                                         : std::nan(""))});
  }
  absl::StrAppend(&out, Table(rpc_rows), "\n");

  // Computations by function and dtype, modes and RPCs summed.
  std::set<std::pair<std::string, std::string>> keys;
  for (const MetricSample& s : now) {
    if (s.name == "actsvc_requests_total") {
      keys.emplace(s.labels.count("function") ? s.labels.at("function") : "",
                   s.labels.count("dtype") ? s.labels.at("dtype") : "");
    }
  }
  std::vector<std::vector<std::string>> request_rows = {
      {"function", "dtype", rates ? "requests/s" : "requests",
       rates ? "errors/s" : "errors", rates ? "elements/s" : "elements"}};
  for (const auto& [function, dtype] : keys) {
    const Labels match = {{"function", function}, {"dtype", dtype}};
    const double all = counter("actsvc_requests_total", match);
    Labels ok = match;
    ok["code"] = "OK";
    request_rows.push_back({function, dtype, Count(all),
                            Count(all - counter("actsvc_requests_total", ok)),
                            Count(counter("actsvc_elements_total", match))});
  }
  if (keys.empty()) {
    absl::StrAppend(&out, "  no computations yet\n\n");
  } else {
    absl::StrAppend(&out, Table(request_rows), "\n");
  }

  std::vector<std::string> refused;
  for (const char* reason : kRefusalReasons) {
    refused.push_back(absl::StrCat(
        reason, " ",
        Count(counter("actsvc_requests_refused_total", {{"reason", reason}}))));
  }
  const std::string per = rates ? "/s" : "";
  absl::StrAppend(
      &out, "  compute queue depth ", Count(Sum(now, "actsvc_compute_queue_depth")),
      "; refused", per, ": ", absl::StrJoin(refused, ", "), "\n",
      "  streams: ", Count(counter("actsvc_streams_started_total", {})),
      " started", per, ", ",
      Count(Sum(now, "actsvc_rpcs_in_flight", {{"rpc", "ComputeStream"}})),
      " open; messages ",
      Count(counter("actsvc_stream_messages_received_total", {})), " in", per,
      ", ", Count(counter("actsvc_stream_messages_sent_total", {})), " out",
      per, "\n", "  bytes: ",
      Bytes(counter("actsvc_received_bytes_total", {})), per, " received, ",
      Bytes(counter("actsvc_sent_bytes_total", {})), per, " sent\n");
  return out;
}

}  // namespace activation::client
