#include "client/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace activation::client {
namespace {

// Matplotlib's "tab10" colours: distinguishable, also for most colour-blind
// readers.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                    "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                    "#bcbd22", "#17becf"};

// Plot-area margins in pixels: room for tick labels, axis titles and (on the
// right, widened for long labels) the legend.
constexpr int kLeft = 80, kMinRight = 190, kTop = 50, kBottom = 60;
// Approximate advance of a 13px sans-serif character, to size the legend.
constexpr double kCharWidth = 7.2;

std::string DefaultFormat(double v) {
  if (v == 0) return "0";
  return absl::StrFormat("%.6g", v);
}

struct Axis {
  double lo, hi;
  bool log;
  double pixel_lo, pixel_hi;  // pixel positions of lo and hi
  double Map(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) /
                               (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return pixel_lo + t * (pixel_hi - pixel_lo);
  }
};

void Expand(double v, double* lo, double* hi) {
  if (!std::isfinite(v)) return;
  *lo = std::min(*lo, v);
  *hi = std::max(*hi, v);
}

// Gives a degenerate or empty range some width and adds a margin.
void Pad(bool log, double* lo, double* hi) {
  if (*lo > *hi) {  // no finite data at all
    *lo = log ? 1 : 0;
    *hi = log ? 10 : 1;
  }
  if (log) {
    *lo /= 1.2;
    *hi *= 1.2;
    return;
  }
  if (*lo == *hi) {
    const double d = *lo == 0 ? 1 : std::abs(*lo) * 0.1;
    *lo -= d;
    *hi += d;
  }
  const double margin = (*hi - *lo) * 0.05;
  // Non-negative data (histograms, relu) keeps zero as the bottom edge.
  if (*lo != 0) *lo -= margin;
  *hi += margin;
}

// Powers of ten; over fewer than three decades also 2x and 5x them, so a
// narrow range still gets a few labelled ticks.
std::vector<double> LogTicks(double lo, double hi) {
  const bool fine = std::log10(hi / lo) < 3;
  std::vector<double> ticks;
  for (double decade = std::pow(10, std::floor(std::log10(lo)));
       decade <= hi; decade *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1 && !fine) continue;
      const double t = decade * m;
      if (t >= lo && t <= hi) ticks.push_back(t);
    }
  }
  return ticks;
}

}  // namespace

std::string PaletteColor(std::size_t i) {
  return kPalette[i % std::size(kPalette)];
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::vector<double> NiceTicks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || target < 1) return ticks;
  const double raw = (hi - lo) / target;
  const int exponent = static_cast<int>(std::floor(std::log10(raw)));
  const double magnitude = std::pow(10, exponent);
  double mantissa = 1;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    mantissa = m;
    if (m * magnitude >= raw) break;
  }
  const double step = mantissa * magnitude;
  const auto first = static_cast<int64_t>(std::ceil(lo / step - 1e-9));
  const auto last = static_cast<int64_t>(std::floor(hi / step + 1e-9));
  for (int64_t k = first; k <= last; ++k) {
    // k * mantissa is an exact integer; dividing it by an exact power of ten
    // gives the double nearest to the decimal (0.6, not 0.6000000000000001).
    const double units = static_cast<double>(k) * mantissa;
    const double t = exponent >= 0 ? units * magnitude
                                   : units / std::pow(10, -exponent);
    ticks.push_back(t == 0 ? 0 : t);  // no "-0"
  }
  return ticks;
}

std::string RenderSvg(const PlotOptions& options,
                      std::span<const PlotSeries> series) {
  const auto x_ok = [&](double x) {
    return std::isfinite(x) && (!options.log_x || x > 0);
  };
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  double y_lo = x_lo, y_hi = -x_lo;
  for (const PlotSeries& s : series) {
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      const bool bar = s.style == PlotSeries::Style::kBars;
      if (!x_ok(s.x[i]) || (bar && (i >= s.x_end.size() || !x_ok(s.x_end[i]))))
        continue;
      Expand(s.x[i], &x_lo, &x_hi);
      if (bar) {
        Expand(s.x_end[i], &x_lo, &x_hi);
        Expand(0, &y_lo, &y_hi);
      }
      Expand(s.y[i], &y_lo, &y_hi);
    }
  }
  for (const PlotMarker& m : options.markers) {
    if (x_ok(m.x)) Expand(m.x, &x_lo, &x_hi);
  }
  Pad(options.log_x, &x_lo, &x_hi);
  Pad(false, &y_lo, &y_hi);
  std::size_t longest_label = 0;
  for (const PlotSeries& s : series) {
    longest_label = std::max(longest_label, s.label.size());
  }
  const int right = std::max(
      kMinRight, static_cast<int>(50 + kCharWidth * longest_label));
  const int w = options.width + (right - kMinRight), h = options.height;
  const Axis xa{x_lo, x_hi, options.log_x, double(kLeft), double(w - right)};
  const Axis ya{y_lo, y_hi, false, double(h - kBottom), double(kTop)};
  const auto x_fmt = options.x_tick_format ? options.x_tick_format
                                           : std::function(DefaultFormat);
  const auto y_fmt = options.y_tick_format ? options.y_tick_format
                                           : std::function(DefaultFormat);

  std::string svg = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
      "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"13\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      w, h, w, h);
  absl::StrAppendFormat(
      &svg,
      "<text x=\"%d\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">%s"
      "</text>\n",
      w / 2, XmlEscape(options.title));

  // Grid and ticks.
  svg += "<g class=\"grid\" stroke=\"#dddddd\" stroke-width=\"1\">\n";
  const std::vector<double> x_ticks = options.log_x
                                          ? LogTicks(x_lo, x_hi)
                                          : NiceTicks(x_lo, x_hi, 10);
  const std::vector<double> y_ticks = NiceTicks(y_lo, y_hi, 8);
  for (double t : x_ticks) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\"/>\n",
                          xa.Map(t), kTop, xa.Map(t), h - kBottom);
  }
  for (double t : y_ticks) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\"/>\n",
                          kLeft, ya.Map(t), w - right, ya.Map(t));
  }
  svg += "</g>\n<g class=\"ticks\">\n";
  for (double t : x_ticks) {
    absl::StrAppendFormat(
        &svg, "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
        xa.Map(t), h - kBottom + 18, XmlEscape(x_fmt(t)));
  }
  for (double t : y_ticks) {
    absl::StrAppendFormat(
        &svg, "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n",
        kLeft - 6, ya.Map(t) + 4, XmlEscape(y_fmt(t)));
  }
  svg += "</g>\n";

  // Axes: the frame, plus the zero lines where they fall inside it.
  absl::StrAppendFormat(&svg,
                        "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" "
                        "height=\"%d\" fill=\"none\" stroke=\"black\"/>\n",
                        kLeft, kTop, w - kLeft - right, h - kTop - kBottom);
  if (y_lo < 0 && y_hi > 0) {
    absl::StrAppendFormat(&svg,
                          "<line class=\"axis\" x1=\"%d\" y1=\"%.2f\" x2=\"%d\" "
                          "y2=\"%.2f\" stroke=\"#555555\"/>\n",
                          kLeft, ya.Map(0), w - right, ya.Map(0));
  }
  if (!options.log_x && x_lo < 0 && x_hi > 0) {
    absl::StrAppendFormat(&svg,
                          "<line class=\"axis\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" "
                          "y2=\"%d\" stroke=\"#555555\"/>\n",
                          xa.Map(0), kTop, xa.Map(0), h - kBottom);
  }
  absl::StrAppendFormat(
      &svg, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
      (kLeft + w - right) / 2, h - 18, XmlEscape(options.x_label));
  absl::StrAppendFormat(&svg,
                        "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 18 %d)\">%s</text>\n",
                        (kTop + h - kBottom) / 2, (kTop + h - kBottom) / 2,
                        XmlEscape(options.y_label));

  // Data.
  for (std::size_t si = 0; si < series.size(); ++si) {
    const PlotSeries& s = series[si];
    const std::string color =
        s.color.empty() ? PaletteColor(si) : s.color;
    absl::StrAppendFormat(&svg, "<g class=\"series\" data-label=\"%s\">\n",
                          XmlEscape(s.label));
    if (s.style == PlotSeries::Style::kBars) {
      for (std::size_t i = 0; i < s.x.size() && i < s.y.size() &&
                              i < s.x_end.size();
           ++i) {
        if (!x_ok(s.x[i]) || !x_ok(s.x_end[i]) || !std::isfinite(s.y[i]))
          continue;
        const double x0 = xa.Map(s.x[i]), x1 = xa.Map(s.x_end[i]);
        const double y0 = ya.Map(std::max(0.0, s.y[i]));
        const double y1 = ya.Map(std::min(0.0, s.y[i]));
        absl::StrAppendFormat(
            &svg,
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
            "fill=\"%s\"/>\n",
            x0, y0, std::max(x1 - x0, 0.5), y1 - y0, color);
      }
    } else {
      // One polyline per run of finite points.
      std::string points;
      const auto flush = [&] {
        if (points.empty()) return;
        absl::StrAppendFormat(
            &svg,
            "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
            "points=\"%s\"/>\n",
            color,
            s.style == PlotSeries::Style::kDashed
                ? " stroke-dasharray=\"7,4\""
                : "",
            points);
        points.clear();
      };
      for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        if (!x_ok(s.x[i]) || !std::isfinite(s.y[i])) {
          flush();
          continue;
        }
        absl::StrAppendFormat(&points, "%s%.2f,%.2f", points.empty() ? "" : " ",
                              xa.Map(s.x[i]), ya.Map(s.y[i]));
      }
      flush();
    }
    svg += "</g>\n";
  }

  for (const PlotMarker& m : options.markers) {
    if (!x_ok(m.x)) continue;
    absl::StrAppendFormat(
        &svg,
        "<g class=\"marker\"><line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" "
        "y2=\"%d\" stroke=\"#444444\" stroke-dasharray=\"3,3\"/>"
        "<text x=\"%.2f\" y=\"%d\" font-size=\"11\" "
        "text-anchor=\"end\" transform=\"rotate(-90 %.2f %d)\">%s</text>"
        "</g>\n",
        xa.Map(m.x), kTop, xa.Map(m.x), h - kBottom, xa.Map(m.x) - 3, kTop + 4,
        xa.Map(m.x) - 3, kTop + 4, XmlEscape(m.label));
  }

  // Legend.
  svg += "<g class=\"legend\">\n";
  int row = 0;
  for (std::size_t si = 0; si < series.size(); ++si) {
    const PlotSeries& s = series[si];
    if (s.label.empty()) continue;
    const std::string color =
        s.color.empty() ? PaletteColor(si) : s.color;
    const int y = kTop + 12 + 20 * row++;
    const int x = w - right + 14;
    if (s.style == PlotSeries::Style::kBars) {
      absl::StrAppendFormat(&svg,
                            "<rect x=\"%d\" y=\"%d\" width=\"24\" height=\"10\" "
                            "fill=\"%s\"/>\n",
                            x, y - 5, color);
    } else {
      absl::StrAppendFormat(
          &svg,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
          "stroke-width=\"2\"%s/>\n",
          x, y, x + 24, y, color,
          s.style == PlotSeries::Style::kDashed ? " stroke-dasharray=\"7,4\""
                                                : "");
    }
    absl::StrAppendFormat(&svg, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 30,
                          y + 4, XmlEscape(s.label));
  }
  svg += "</g>\n</svg>\n";
  return svg;
}

}  // namespace activation::client
