// actload's reports: the text summary, JSON, CSV, the SVG latency
// histogram, and the live progress line. Pure functions of the config and
// the result.
#include "client/actload_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/cli_parse.h"
#include "client/svg_plot.h"

namespace activation::client {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string SizesText(const SizeMix& mix) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < mix.sizes.size(); ++i) {
    parts.push_back(mix.weights[i] == 1 && mix.sizes.size() == 1
                        ? absl::StrCat(mix.sizes[i])
                        : absl::StrCat(mix.sizes[i], ":", mix.weights[i]));
  }
  return absl::StrJoin(parts, ",");
}

std::string ParamsText(const std::map<std::string, double>& params) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : params) parts.push_back(absl::StrFormat("%s=%g", k, v));
  return absl::StrJoin(parts, ",");
}

std::string ModeText(v1::Mode mode) { return ModeFlagName(mode); }

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999};
constexpr const char* kQuantileNames[] = {"p50", "p90", "p99", "p99.9"};

}  // namespace

std::string FormatNanos(double nanos) {
  if (nanos < 1e3) return absl::StrFormat("%.0fns", nanos);
  if (nanos < 1e6) return absl::StrFormat("%.3gus", nanos / 1e3);
  if (nanos < 1e9) return absl::StrFormat("%.3gms", nanos / 1e6);
  return absl::StrFormat("%.3gs", nanos / 1e9);
}

std::string FormatText(const LoadConfig& c, const LoadResult& r) {
  std::string out = absl::StrFormat(
      "actload: %s %s%s %s %s, size %s%s, %s, %d connection(s), %s%s, "
      "engine %s\n",
      LoadRpcName(c.rpc), c.function,
      c.params.empty() ? "" : absl::StrCat("(", ParamsText(c.params), ")"),
      ModeText(c.mode), c.dtype == v1::DTYPE_FLOAT64 ? "f64" : "f32",
      SizesText(c.sizes),
      c.rpc == LoadRpc::kBatch ? absl::StrCat(" x", c.batch_items, " items")
                               : "",
      c.rps > 0 ? absl::StrFormat("open loop %g req/s", c.rps)
                : absl::StrCat("closed loop, concurrency ", c.concurrency),
      std::max<int>(c.connections, c.targets.size()),
      c.total > 0 ? absl::StrCat(c.total, " requests") : "",
      c.duration > absl::ZeroDuration()
          ? absl::StrCat(c.total > 0 ? " or " : "",
                         absl::FormatDuration(c.duration))
          : "",
      LoadEngineName(r.engine));
  absl::StrAppend(&out, absl::StrFormat(
      "  requests   %d ok, %d errors%s in %.3fs\n", r.ok, r.errors,
      c.verify ? absl::StrFormat(", %d wrong answers (%d values verified, "
                                 "worst %.3g ULP)",
                                 r.wrong, r.verified_values, r.worst_ulp)
               : "",
      r.Seconds()));
  const double s = std::max(r.Seconds(), 1e-9);
  absl::StrAppend(&out, absl::StrFormat(
      "  throughput %.1f req/s, %.4g elements/s, %.2f MB/s payload (in+out)\n",
      r.RequestsPerSecond(), r.elements / s, r.payload_bytes / s / 1e6));
  absl::StrAppend(&out, absl::StrFormat("  latency    min %s",
                                        FormatNanos(r.latency.min())));
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&out, absl::StrFormat(
        ", %s %s", kQuantileNames[i],
        FormatNanos(r.latency.Percentile(kQuantiles[i]))));
  }
  absl::StrAppend(&out, absl::StrFormat(", max %s, mean %s%s\n",
                                        FormatNanos(r.latency.max()),
                                        FormatNanos(r.latency.mean()),
                                        c.rps > 0 ? " (from intended send time)"
                                                  : ""));
  const double cpu = absl::ToDoubleSeconds(r.cpu_user + r.cpu_system);
  absl::StrAppend(&out, absl::StrFormat(
      "  client CPU %.2fs (%.2f cores), %.1f us per request\n", cpu, cpu / s,
      r.CpuMicrosPerRequest()));
  if (c.rps > 0 && r.late_sends > 0) {
    absl::StrAppend(&out, absl::StrFormat(
        "  late sends %d (> 1ms behind schedule: the generator lagged)\n",
        r.late_sends));
  }
  if (c.targets.size() > 1) {
    for (std::size_t i = 0; i < c.targets.size(); ++i) {
      absl::StrAppend(&out, absl::StrFormat("  target     %s: %d requests\n",
                                            c.targets[i], r.per_target[i]));
    }
  }
  for (const auto& [code, n] : r.errors_by_code) {
    absl::StrAppend(&out, absl::StrFormat("  error      %s: %d\n", code, n));
  }
  if (!r.first_error.empty()) {
    absl::StrAppend(&out, "  first error: ", r.first_error, "\n");
  }
  if (!r.first_wrong.empty()) {
    absl::StrAppend(&out, "  first wrong answer: ", r.first_wrong, "\n");
  }
  return out;
}

std::string FormatJson(const LoadConfig& c, const LoadResult& r) {
  const double s = std::max(r.Seconds(), 1e-9);
  std::vector<std::string> targets, per_target, codes;
  for (std::size_t i = 0; i < c.targets.size(); ++i) {
    targets.push_back(JsonString(c.targets[i]));
    per_target.push_back(absl::StrCat(r.per_target[i]));
  }
  for (const auto& [code, n] : r.errors_by_code) {
    codes.push_back(absl::StrCat(JsonString(code), ":", n));
  }
  auto latency_json = [](const LatencyHistogram& h) {
    std::string json = absl::StrFormat("{\"min_us\":%.3f,\"mean_us\":%.3f",
                                       h.min() / 1e3, h.mean() / 1e3);
    for (int i = 0; i < 4; ++i) {
      absl::StrAppendFormat(&json, ",\"%s_us\":%.3f", kQuantileNames[i],
                            h.Percentile(kQuantiles[i]) / 1e3);
    }
    absl::StrAppendFormat(&json, ",\"max_us\":%.3f,\"count\":%d}",
                          h.max() / 1e3, h.count());
    return json;
  };
  return absl::StrCat(
      "{\"config\":{\"targets\":[", absl::StrJoin(targets, ","),
      "],\"rpc\":", JsonString(LoadRpcName(c.rpc)),
      ",\"function\":", JsonString(c.function),
      ",\"params\":", JsonString(ParamsText(c.params)),
      ",\"mode\":", JsonString(ModeText(c.mode)),
      ",\"dtype\":", JsonString(c.dtype == v1::DTYPE_FLOAT64 ? "f64" : "f32"),
      ",\"encoding\":", JsonString(c.encoding == Encoding::kRaw ? "raw" : "packed"),
      ",\"sizes\":", JsonString(SizesText(c.sizes)),
      ",\"batch_items\":", c.batch_items,
      ",\"open_loop\":", c.rps > 0 ? "true" : "false",
      ",\"rps\":", c.rps, ",\"concurrency\":", c.concurrency,
      ",\"connections\":", std::max<int>(c.connections, c.targets.size()),
      ",\"threads\":", c.threads,
      ",\"engine\":", JsonString(LoadEngineName(r.engine)),
      ",\"duration_s\":", absl::ToDoubleSeconds(c.duration),
      ",\"total\":", c.total,
      ",\"warmup_s\":", absl::ToDoubleSeconds(c.warmup),
      ",\"verify\":", c.verify ? "true" : "false", "},",
      "\"ok\":", r.ok, ",\"errors\":", r.errors,
      ",\"errors_by_code\":{", absl::StrJoin(codes, ","), "}",
      ",\"first_error\":", JsonString(r.first_error),
      ",\"wrong\":", r.wrong, ",\"verified_values\":", r.verified_values,
      ",\"worst_ulp\":", absl::StrFormat("%.6g", r.worst_ulp),
      ",\"first_wrong\":", JsonString(r.first_wrong),
      ",\"elapsed_s\":", absl::StrFormat("%.6f", r.Seconds()),
      ",\"requests_per_s\":", absl::StrFormat("%.3f", r.RequestsPerSecond()),
      ",\"elements_per_s\":", absl::StrFormat("%.1f", r.elements / s),
      ",\"payload_mb_per_s\":", absl::StrFormat("%.3f", r.payload_bytes / s / 1e6),
      ",\"latency\":", latency_json(r.latency),
      ",\"ok_latency\":", latency_json(r.ok_latency),
      ",\"per_target\":[", absl::StrJoin(per_target, ","), "]",
      ",\"late_sends\":", r.late_sends,
      ",\"cpu_user_s\":", absl::StrFormat("%.3f", absl::ToDoubleSeconds(r.cpu_user)),
      ",\"cpu_system_s\":", absl::StrFormat("%.3f", absl::ToDoubleSeconds(r.cpu_system)),
      ",\"cpu_us_per_request\":", absl::StrFormat("%.3f", r.CpuMicrosPerRequest()),
      "}\n");
}

std::string FormatCsv(const LoadConfig& c, const LoadResult& r, bool header) {
  const double s = std::max(r.Seconds(), 1e-9);
  std::string out;
  if (header) {
    out = "rpc,function,mode,dtype,sizes,open_loop,rps_target,concurrency,"
          "connections,ok,errors,wrong,elapsed_s,requests_per_s,"
          "elements_per_s,payload_mb_per_s,min_us,p50_us,p90_us,p99_us,"
          "p999_us,max_us,mean_us,cpu_us_per_request\n";
  }
  absl::StrAppendFormat(
      &out, "%s,%s,%s,%s,\"%s\",%d,%g,%d,%d,%d,%d,%d,%.6f,%.3f,%.1f,%.3f",
      LoadRpcName(c.rpc), c.function, ModeText(c.mode),
      c.dtype == v1::DTYPE_FLOAT64 ? "f64" : "f32", SizesText(c.sizes),
      c.rps > 0 ? 1 : 0, c.rps, c.concurrency,
      std::max<int>(c.connections, c.targets.size()), r.ok, r.errors, r.wrong,
      r.Seconds(), r.RequestsPerSecond(), r.elements / s,
      r.payload_bytes / s / 1e6);
  absl::StrAppendFormat(&out, ",%.3f", r.latency.min() / 1e3);
  for (double q : kQuantiles) {
    absl::StrAppendFormat(&out, ",%.3f", r.latency.Percentile(q) / 1e3);
  }
  absl::StrAppendFormat(&out, ",%.3f,%.3f,%.3f\n", r.latency.max() / 1e3,
                        r.latency.mean() / 1e3, r.CpuMicrosPerRequest());
  return out;
}

std::string RenderLatencySvg(const LoadConfig& c, const LoadResult& r) {
  // The histogram's 1% buckets are too thin to see; regroup them into 20
  // bins per decade (each bin's share of requests is exact: it is a sum).
  constexpr double kBinsPerDecade = 20;
  std::map<int, uint64_t> bins;
  for (const LatencyHistogram::Bucket& b : r.latency.NonEmptyBuckets()) {
    const double mid = std::sqrt(std::max(b.lower_nanos, 1.0) * b.upper_nanos);
    bins[static_cast<int>(std::floor(std::log10(mid / 1e3) * kBinsPerDecade))] +=
        b.count;
  }
  PlotSeries bars{.label = "requests (%)",
                  .style = PlotSeries::Style::kBars};
  const double n = std::max<double>(1, r.latency.count());
  for (const auto& [bin, count] : bins) {
    bars.x.push_back(std::pow(10, bin / kBinsPerDecade));
    bars.x_end.push_back(std::pow(10, (bin + 1) / kBinsPerDecade));
    bars.y.push_back(100.0 * count / n);
  }
  PlotOptions options{
      .title = absl::StrFormat(
          "actload: %s %s %s, %s: %.0f req/s, p50 %s, p99 %s, %d errors",
          LoadRpcName(c.rpc), c.function, SizesText(c.sizes),
          c.rps > 0 ? absl::StrFormat("open loop %g/s", c.rps)
                    : absl::StrCat("concurrency ", c.concurrency),
          r.RequestsPerSecond(), FormatNanos(r.latency.Percentile(0.5)),
          FormatNanos(r.latency.Percentile(0.99)), r.errors),
      .x_label = c.rps > 0 ? "latency from intended send time (log scale)"
                           : "latency (log scale)",
      .y_label = "share of requests (%)",
      .log_x = true,
      .x_tick_format = [](double us) { return FormatNanos(us * 1e3); },
  };
  for (int i = 0; i < 4; ++i) {
    options.markers.push_back(
        {r.latency.Percentile(kQuantiles[i]) / 1e3, kQuantileNames[i]});
  }
  options.markers.push_back({r.latency.max() / 1e3, "max"});
  const PlotSeries series[] = {std::move(bars)};
  return RenderSvg(options, series);
}

std::string FormatProgress(const ProgressSample& s) {
  const double seconds = std::max(absl::ToDoubleSeconds(s.interval), 1e-9);
  return absl::StrFormat(
      "actload: %5.1fs %s %9.1f req/s, %d errors, p50 %s, p99 %s",
      absl::ToDoubleSeconds(s.elapsed), s.warmup ? "warmup " : "measure",
      (s.ok + s.errors) / seconds, s.errors,
      s.latency.count() ? FormatNanos(s.latency.Percentile(0.5)) : "-",
      s.latency.count() ? FormatNanos(s.latency.Percentile(0.99)) : "-");
}

}  // namespace activation::client
