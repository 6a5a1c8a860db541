#include "server/metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace actserver::metrics {
namespace {

bool IsNameChar(char c, bool first, bool colon_ok) {
  if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') {
    return true;
  }
  if (colon_ok && c == ':') return true;
  return !first && absl::ascii_isdigit(static_cast<unsigned char>(c));
}

bool IsValidName(absl::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

absl::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

bool IsValidMetricName(absl::string_view name) {
  return IsValidName(name, /*colon_ok=*/true);
}

bool IsValidLabelName(absl::string_view name) {
  return IsValidName(name, /*colon_ok=*/false);
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits in %g's layout (exponent form below 1e-4 and
  // from 1e6 up at 7+ digits): the spelling Go's strconv.FormatFloat(v, 'g',
  // -1, 64) gives, so our le labels read like every Go exporter's.
  char buffer[32];
  const std::to_chars_result r = std::to_chars(
      buffer, buffer + sizeof(buffer), value, std::chars_format::general);
  if (r.ec != std::errc()) std::abort();  // 32 chars hold any double
  return std::string(buffer, r.ptr);
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void TextFormatWriter::Family(absl::string_view name, MetricType type,
                              absl::string_view help) {
  if (!IsValidMetricName(name)) std::abort();  // programming error
  absl::StrAppend(&out_, "# HELP ", name, " ", EscapeHelp(help), "\n",
                  "# TYPE ", name, " ", TypeName(type), "\n");
}

void TextFormatWriter::SampleStart(absl::string_view name,
                                   absl::string_view suffix, Labels labels,
                                   const Label* extra) {
  if (!IsValidMetricName(name)) std::abort();  // programming error
  absl::StrAppend(&out_, name, suffix);
  if (labels.empty() && extra == nullptr) return;
  out_ += '{';
  bool first = true;
  const auto append = [&](const Label& label) {
    if (!IsValidLabelName(label.first)) std::abort();  // programming error
    absl::StrAppend(&out_, first ? "" : ",", label.first, "=\"",
                    EscapeLabelValue(label.second), "\"");
    first = false;
  };
  for (const Label& label : labels) append(label);
  if (extra != nullptr) append(*extra);
  out_ += '}';
}

void TextFormatWriter::Sample(absl::string_view name, Labels labels,
                              double value) {
  SampleStart(name, "", labels, nullptr);
  absl::StrAppend(&out_, " ", FormatValue(value), "\n");
}

void TextFormatWriter::Sample(absl::string_view name, Labels labels,
                              std::uint64_t value) {
  SampleStart(name, "", labels, nullptr);
  absl::StrAppend(&out_, " ", value, "\n");
}

void TextFormatWriter::HistogramSamples(absl::string_view name, Labels labels,
                                        const HistogramSnapshot& histogram,
                                        double units) {
  for (std::size_t i = 0; i < histogram.cumulative.size(); ++i) {
    const std::string le =
        i < histogram.upper_bounds.size()
            ? FormatValue(static_cast<double>(histogram.upper_bounds[i]) /
                          units)
            : std::string("+Inf");
    const Label le_label("le", le);
    SampleStart(name, "_bucket", labels, &le_label);
    absl::StrAppend(&out_, " ", histogram.cumulative[i], "\n");
  }
  SampleStart(name, "_sum", labels, nullptr);
  absl::StrAppend(&out_, " ",
                  FormatValue(static_cast<double>(histogram.sum) / units),
                  "\n");
  SampleStart(name, "_count", labels, nullptr);
  absl::StrAppend(&out_, " ", histogram.count, "\n");
}

std::string TextFormatWriter::Take() {
  std::string out;
  out.swap(out_);
  return out;
}

}  // namespace actserver::metrics
