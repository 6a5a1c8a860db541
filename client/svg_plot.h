// A small SVG chart writer: line series and bars over linear or logarithmic
// axes, with ticks at "nice" numbers, a grid, axis labels and a legend. Used
// by `actctl plot` (activation curves) and `actload --report` (latency
// histogram). Self-contained SVG 1.1 text, no scripts or external fonts, so
// browsers, Inkscape and rsvg-convert all render it. Pure functions;
// thread-safe.
#ifndef CLIENT_SVG_PLOT_H_
#define CLIENT_SVG_PLOT_H_

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace activation::client {

struct PlotSeries {
  enum class Style { kLine, kDashed, kBars };
  // Shown in the legend (empty: not listed).
  std::string label;
  // Points for kLine/kDashed; non-finite y values break the line. For kBars,
  // bar i spans [x[i], x_end[i]] and rises to y[i].
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> x_end;
  // Any SVG colour ("#1f77b4"); empty picks from a fixed palette by index.
  std::string color;
  Style style = Style::kLine;
};

// A vertical marker line with a label, e.g. "p99".
struct PlotMarker {
  double x = 0;
  std::string label;
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 900;
  int height = 560;
  // Logarithmic x axis (every x must then be > 0; others are dropped).
  bool log_x = false;
  // Tick label text; default prints the number compactly.
  std::function<std::string(double)> x_tick_format;
  std::function<std::string(double)> y_tick_format;
  std::vector<PlotMarker> markers;
};

// The SVG document for `series`. Axis ranges cover every finite point (plus
// y = 0 for bars), with a small margin.
std::string RenderSvg(const PlotOptions& options,
                      std::span<const PlotSeries> series);

// Tick positions at 1, 2 or 5 times a power of ten covering [lo, hi] with
// about `target` ticks (at least 2 values). Exposed for tests.
std::vector<double> NiceTicks(double lo, double hi, int target);

// Colour i of the fixed palette series use when they set none (cycles).
std::string PaletteColor(std::size_t i);

// "&lt;" etc.: text safe inside an SVG/XML element or attribute.
std::string XmlEscape(std::string_view text);

}  // namespace activation::client

#endif  // CLIENT_SVG_PLOT_H_
