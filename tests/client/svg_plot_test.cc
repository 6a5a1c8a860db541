// The SVG writer: nice ticks, escaping, and documents that parse as XML with
// every series present (checked by check_svg.py with Python's XML parser).
#include "client/svg_plot.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace activation::client {
namespace {

TEST(NiceTicksTest, StepsOfOneTwoFive) {
  EXPECT_EQ(NiceTicks(-5, 5, 10),
            std::vector<double>({-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(NiceTicks(0, 1, 5), std::vector<double>({0, 0.2, 0.4, 0.6, 0.8, 1}));
  EXPECT_EQ(NiceTicks(0.05, 0.98, 2), std::vector<double>({0.5}));
  EXPECT_EQ(NiceTicks(-1.2, 4.3, 8).front(), -1);
  EXPECT_TRUE(NiceTicks(1, 1, 5).empty());
}

TEST(XmlEscapeTest, EscapesMarkup) {
  EXPECT_EQ(XmlEscape("f'(x) < 1 & \"y\" > 0"),
            "f&apos;(x) &lt; 1 &amp; &quot;y&quot; &gt; 0");
}

// Runs check_svg.py on `svg` and returns its exit status.
int CheckSvg(const std::string& svg, const std::string& labels) {
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("svg_plot_test_" + std::to_string(::getpid()) + ".svg"))
          .string();
  std::ofstream(path) << svg;
  const int rc = std::system(
      ("/usr/bin/python3 " CHECK_SVG_PY " " + path + " " + labels).c_str());
  std::filesystem::remove(path);
  return rc;
}

TEST(RenderSvgTest, CurvesParseAsSvgWithBothSeries) {
  if (!std::filesystem::exists("/usr/bin/python3")) {
    GTEST_SKIP() << "/usr/bin/python3 is absent: cannot parse the SVG";
  }
  PlotSeries f{.label = "tanh", .color = PaletteColor(0)};
  PlotSeries df{.label = "tanh'", .color = PaletteColor(0),
                .style = PlotSeries::Style::kDashed};
  for (double x = -4; x <= 4; x += 0.1) {
    f.x.push_back(x);
    f.y.push_back(std::tanh(x));
    df.x.push_back(x);
    df.y.push_back(1 - std::tanh(x) * std::tanh(x));
  }
  const PlotSeries series[] = {f, df};
  const std::string svg = RenderSvg({.title = "a < b & c"}, series);
  EXPECT_EQ(CheckSvg(svg, "tanh \"tanh'\""), 0);
  // The checker itself must reject a curve that is not there.
  EXPECT_NE(CheckSvg(svg, "sigmoid"), 0);
  // And a broken document.
  EXPECT_NE(CheckSvg(svg.substr(0, svg.size() / 2), "tanh"), 0);
}

TEST(RenderSvgTest, NonFiniteValuesBreakTheLine) {
  PlotSeries s{.label = "log", .x = {-1, 0, 1, 2, 3},
               .y = {NAN, -INFINITY, 0, 0.69, 1.1}};
  const PlotSeries series[] = {s};
  const std::string svg = RenderSvg({}, series);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  // One polyline of the three finite points.
  const std::size_t first = svg.find("<polyline");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(svg.find("<polyline", first + 1), std::string::npos);
}

TEST(RenderSvgTest, LogAxisBarsAndMarkers) {
  if (!std::filesystem::exists("/usr/bin/python3")) {
    GTEST_SKIP() << "/usr/bin/python3 is absent: cannot parse the SVG";
  }
  PlotSeries bars{.label = "requests", .x = {10, 100, 0},
                  .y = {5, 7, 1}, .x_end = {20, 200, 1},
                  .style = PlotSeries::Style::kBars};
  const PlotSeries series[] = {bars};
  PlotOptions options{.log_x = true, .markers = {{150, "p99"}}};
  const std::string svg = RenderSvg(options, series);
  EXPECT_NE(svg.find(">p99<"), std::string::npos);
  // Labelled decade ticks on the log axis.
  EXPECT_NE(svg.find(">100<"), std::string::npos);
  // The bar starting at x = 0 cannot be drawn on a log axis: two bars.
  const std::size_t begin = svg.find("<g class=\"series\"");
  const std::string group = svg.substr(begin, svg.find("</g>", begin) - begin);
  std::size_t rects = 0;
  for (std::size_t at = 0; (at = group.find("<rect ", at + 1)) != std::string::npos;) {
    ++rects;
  }
  EXPECT_EQ(rects, 2u);
  EXPECT_EQ(CheckSvg(svg, "requests"), 0);
}

}  // namespace
}  // namespace activation::client
