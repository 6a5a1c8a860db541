// actload's reports, as pure functions of the run's config and result: the
// text summary, JSON, CSV rows, an SVG latency histogram, and the one-line
// live progress of each second.
#ifndef CLIENT_ACTLOAD_REPORT_H_
#define CLIENT_ACTLOAD_REPORT_H_

#include <string>

#include "client/actload.h"

namespace activation::client {

std::string FormatText(const LoadConfig& config, const LoadResult& result);
std::string FormatJson(const LoadConfig& config, const LoadResult& result);
// A header line and one row, so runs can be appended to one file.
std::string FormatCsv(const LoadConfig& config, const LoadResult& result,
                      bool header = true);
// An SVG latency histogram (log-scaled latency axis, percentile markers).
std::string RenderLatencySvg(const LoadConfig& config,
                             const LoadResult& result);

// "actload:   3.0s measure   12345.0 req/s, 0 errors, p50 1.2ms, p99 3.4ms"
std::string FormatProgress(const ProgressSample& sample);

// "12.3us", "4.56ms", "1.2s".
std::string FormatNanos(double nanos);

}  // namespace activation::client

#endif  // CLIENT_ACTLOAD_REPORT_H_
