// Writes the Prometheus text exposition format, version 0.0.4 -- the format
// every Prometheus server and most agents scrape -- without a client library
// (Debian 12 packages none for C++).
//
// What the writer guarantees, each checked by text_format_test.cc and, for a
// whole scrape of a live server, by Prometheus's own `promtool check metrics`:
// one HELP and one TYPE line per family before its samples; label values
// escaped (\\ \" \n) and HELP text escaped (\\ \n); floats in the shortest
// form that reads back exactly, +Inf/-Inf/NaN spelled as the format spells
// them; histograms as cumulative _bucket{le=...} lines ending in le="+Inf",
// then _sum and _count.
//
// Example:
//   TextFormatWriter w;
//   w.Family("actsvc_requests_total", MetricType::kCounter, "Requests.");
//   w.Sample("actsvc_requests_total", {{"rpc", "Compute"}}, 12);
//   std::string text = w.Take();
#ifndef SERVER_METRICS_TEXT_FORMAT_H_
#define SERVER_METRICS_TEXT_FORMAT_H_

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "server/metrics/histogram.h"

namespace actserver::metrics {

// The content type a scrape answer carries.
inline constexpr char kTextFormatContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };

using Label = std::pair<absl::string_view, absl::string_view>;
using Labels = std::span<const Label>;

// Thread-compatible: one writer per scrape.
class TextFormatWriter {
 public:
  // Starts a family: its "# HELP" and "# TYPE" lines. `name` must match
  // [a-zA-Z_:][a-zA-Z0-9_:]* (checked: a programming error aborts); for a
  // histogram it is the base name, without _bucket/_sum/_count.
  void Family(absl::string_view name, MetricType type, absl::string_view help);

  // One sample line. `name` is the family's name (or, for a histogram, one
  // of its suffixed names). Label names must match [a-zA-Z_][a-zA-Z0-9_]*.
  void Sample(absl::string_view name, Labels labels, double value);
  void Sample(absl::string_view name, Labels labels, std::uint64_t value);
  void Sample(absl::string_view name, std::initializer_list<Label> labels,
              double value) {
    Sample(name, Labels(labels.begin(), labels.size()), value);
  }
  void Sample(absl::string_view name, std::initializer_list<Label> labels,
              std::uint64_t value) {
    Sample(name, Labels(labels.begin(), labels.size()), value);
  }

  // A histogram's samples: name_bucket per bound (le = bound / units) and
  // +Inf, name_sum (sum / units) and name_count. `units` is how many of the
  // histogram's integer units make the base unit the name states (1e9
  // nanoseconds in a second; 1 for counts). Dividing by an exact power of
  // ten, rather than multiplying by its inexact inverse, keeps 50 us "5e-05"
  // instead of "5.0000000000000004e-05".
  void HistogramSamples(absl::string_view name, Labels labels,
                        const HistogramSnapshot& histogram, double units);

  // The text so far; the writer is empty afterwards.
  std::string Take();

 private:
  void SampleStart(absl::string_view name, absl::string_view suffix,
                   Labels labels, const Label* extra);

  std::string out_;
};

// `value` as the format writes it: the shortest decimal that reads back
// exactly, laid out as Go's %g ("0.0001", "5e-05", "1.6777216e+07"), or
// "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);

// Escapes for a label value: backslash, double quote and newline.
std::string EscapeLabelValue(absl::string_view value);

// Escapes for HELP text: backslash and newline.
std::string EscapeHelp(absl::string_view help);

bool IsValidMetricName(absl::string_view name);
bool IsValidLabelName(absl::string_view name);

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_TEXT_FORMAT_H_
