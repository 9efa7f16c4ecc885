#include "benchmarks/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace primeloop::lab {
namespace {

constexpr double width = 900, height = 480;
constexpr double left = 80, right = 160, top = 70, bottom = 60;
constexpr std::array<const char*, 6> colors{"#d62728", "#1f77b4", "#2ca02c",
                                            "#ff7f0e", "#9467bd", "#8c564b"};

std::string format_tick(double v) {
  if (v >= 1e6) return fmt::format("{:g}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:g}k", v / 1e3);
  return fmt::format("{:g}", v);
}

}  // namespace

double nice_ceiling(double v) {
  if (!(v > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (const double m : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0}) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_svg(const chart& c) {
  std::size_t points = 1;
  double y_max = 0;
  for (const auto& s : c.series) {
    points = std::max(points, s.values.size());
    for (const double v : s.values) y_max = std::max(y_max, v);
  }
  y_max = nice_ceiling(y_max * 1.05);
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  // x runs from 0 to the last second; a value for second s is drawn at the end of that second.
  const auto x_of = [&](double x) { return left + plot_w * x / static_cast<double>(points); };
  const auto y_of = [&](double y) { return top + plot_h * (1 - y / y_max); };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{3}</text>\n"
      "<text x=\"{2}\" y=\"44\" fill=\"#444\">{4}</text>\n",
      width, height, left, xml_escape(c.title), xml_escape(c.subtitle));

  for (int i = 0; i <= 5; ++i) {
    const double v = y_max * i / 5;
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        left, left + plot_w, y_of(v), left - 6, y_of(v) + 4, format_tick(v));
  }
  const std::size_t step = points <= 20 ? 1 : points <= 60 ? 5 : 10;
  for (std::size_t x = 0; x <= points; x += step) {
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#888\"/>\n"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        x_of(static_cast<double>(x)), top + plot_h, top + plot_h + 5, top + plot_h + 20, x);
  }
  svg += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" stroke=\"#888\"/>\n"
      "<text x=\"{4}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>\n"
      "<text transform=\"translate(18 {7}) rotate(-90)\" text-anchor=\"middle\">{8}</text>\n",
      left, top, plot_w, plot_h, left + plot_w / 2, height - 16, xml_escape(c.x_label),
      top + plot_h / 2, xml_escape(c.y_label));

  if (c.marker_x) {
    const double x = x_of(*c.marker_x);
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#333\" "
        "stroke-dasharray=\"6 4\"/>\n"
        "<text x=\"{3:.1f}\" y=\"{4}\" fill=\"#333\">{5}</text>\n",
        x, top, top + plot_h, x + 4, top + 14, xml_escape(c.marker_label));
  }

  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const auto& s = c.series[i];
    const char* color = colors[i % colors.size()];
    std::string pts;
    for (std::size_t k = 0; k < s.values.size(); ++k) {
      pts += fmt::format("{:.1f},{:.1f} ", x_of(static_cast<double>(k + 1)), y_of(s.values[k]));
    }
    svg += fmt::format(
        "<polyline fill=\"none\" stroke=\"{0}\" stroke-width=\"2.5\" points=\"{1}\"/>\n"
        "<line x1=\"{2}\" x2=\"{3}\" y1=\"{4}\" y2=\"{4}\" stroke=\"{0}\" stroke-width=\"3\"/>\n"
        "<text x=\"{5}\" y=\"{6}\">{7}</text>\n",
        color, pts, left + plot_w + 12, left + plot_w + 36,
        top + 10 + 20.0 * static_cast<double>(i), left + plot_w + 42,
        top + 14 + 20.0 * static_cast<double>(i), xml_escape(s.name));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace primeloop::lab
