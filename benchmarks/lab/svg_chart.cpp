#include "benchmarks/lab/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <vector>

namespace primeloop::lab {
namespace {

constexpr double width = 1000, one_panel_height = 480;
constexpr double left = 80, right = 260, top = 70, bottom = 60;
/// With the latency panel: the rate panel's height, the gap with the time axis between them,
/// and the latency panel's height.
constexpr double rate_h = 300, gap = 40, latency_h = 200;
/// The served panel's height (connections answered each second), under the others.
constexpr double served_h = 120;

/// The executor's colour; lab columns and bench columns are looked up by their base name.
struct executor_color {
  std::string_view executor;
  std::string_view color;
};
constexpr std::array<executor_color, 6> executor_colors{{{"inline", "#d62728"},
                                                         {"threads", "#1f77b4"},
                                                         {"processes", "#2ca02c"},
                                                         {"blocking", "#7f7f7f"},
                                                         {"thread-per-conn", "#9467bd"},
                                                         {"baseline", "#ff7f0e"}}};
/// The lesson's variants get patterns of their own; any other variant one chosen by its text.
struct variant_dash {
  std::string_view variant;
  std::string_view dash;
};
constexpr std::array<variant_dash, 4> variant_dashes{
    {{"+gil5ms", "8 4"}, {"+gil2ms", "2 3"}, {"+gil1s", "12 4 2 4"}, {"+adaptive", "4 4"}}};
constexpr std::array<std::string_view, 3> other_dashes{"16 4", "6 2 2 2", "1 4"};

std::string format_duration_tick(double s) {
  if (s >= 1) return fmt::format("{:g} s", s);
  if (s >= 1e-3) return fmt::format("{:g} ms", s * 1e3);
  return fmt::format("{:g} us", s * 1e6);
}

std::string format_tick(double v) {
  if (v >= 1e6) return fmt::format("{:g}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:g}k", v / 1e3);
  return fmt::format("{:g}", v);
}

/// The y axis: linear from 0 to top, or logarithmic (log10 of 1 + v, so 0 sits at the bottom).
struct y_axis {
  double top;
  bool log;
  [[nodiscard]] double fraction(double v) const {
    if (log) return std::log10(1 + std::max(v, 0.0)) / std::log10(1 + top);
    return v / top;
  }
  [[nodiscard]] std::vector<double> ticks() const {
    std::vector<double> out;
    if (log) {
      out.push_back(0);
      for (double t = 1; t <= top * 1.0001; t *= 10) out.push_back(t);
    } else {
      for (int i = 0; i <= 5; ++i) out.push_back(top * i / 5);
    }
    return out;
  }
};

}  // namespace

series_style style_of(std::string_view series_name) {
  // "blocking: served 1/16": what follows a colon is a caption, not part of the column.
  series_name = series_name.substr(0, series_name.find(':'));
  const auto plus = series_name.find('+');
  const auto base = series_name.substr(0, plus);
  series_style out{"#8c564b", ""};
  for (const auto& row : executor_colors) {
    if (row.executor == base) out.color = std::string(row.color);
  }
  if (plus != std::string_view::npos) {
    // The same variant gets the same pattern in every chart.
    const auto variant = series_name.substr(plus);
    std::size_t h = 0;
    for (const char c : variant) h = h * 31 + static_cast<unsigned char>(c);
    out.dash = std::string(other_dashes[h % other_dashes.size()]);
    for (const auto& row : variant_dashes) {
      if (row.variant == variant) out.dash = std::string(row.dash);
    }
  }
  return out;
}

double log_ceiling(double v) {
  double top = 10;
  while (top < v) top *= 10;
  return top;
}

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

namespace {

/// Steps: each second is flat from its start to its end, so a drop to 0 is a vertical cliff.
/// A value for which keep is false breaks the line (a second with no latency).
template <class X, class Y, class Keep>
std::vector<std::string> step_lines(const std::vector<double>& values, X x_of, Y y_of, Keep keep) {
  std::vector<std::string> out;
  std::string pts;
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!keep(values[k])) {
      if (!pts.empty()) out.push_back(std::move(pts));
      pts.clear();
      continue;
    }
    const double y = y_of(values[k]);
    pts += fmt::format("{:.1f},{:.1f} {:.1f},{:.1f} ", x_of(static_cast<double>(k)), y,
                       x_of(static_cast<double>(k + 1)), y);
  }
  if (!pts.empty()) out.push_back(std::move(pts));
  return out;
}

/// The time axis under a panel whose bottom is at y.
std::string time_axis(std::size_t points, double y, const auto& x_of) {
  std::string svg;
  const std::size_t step = points <= 20 ? 1 : points <= 60 ? 5 : 10;
  for (std::size_t x = 0; x <= points; x += step) {
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#888\"/>\n"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        x_of(static_cast<double>(x)), y, y + 5, y + 20, x);
  }
  return svg;
}

}  // namespace

std::string render_svg(const chart& c) {
  std::size_t points = 1;
  double y_max = 0, lat_min = 0, lat_max = 0;
  for (const auto& s : c.series) {
    points = std::max(points, s.values.size());
    for (const double v : s.values) y_max = std::max(y_max, v);
    for (const double v : s.latency_s) {
      if (v <= 0) continue;
      lat_min = lat_min == 0 ? v : std::min(lat_min, v);
      lat_max = std::max(lat_max, v);
    }
  }
  const bool latency = lat_max > 0;
  const bool served = c.connections > 0;
  const double lower_panels = (latency ? gap + latency_h : 0) + (served ? gap + served_h : 0);
  const double height = latency || served ? top + rate_h + lower_panels + bottom : one_panel_height;
  const y_axis axis{c.log_y ? log_ceiling(y_max) : nice_ceiling(y_max * 1.05), c.log_y};
  const double plot_w = width - left - right;
  const double plot_h = latency || served ? rate_h : height - top - bottom;
  // x runs from 0 to the last second; second s is the step from x = s - 1 to x = s.
  const auto x_of = [&](double x) { return left + plot_w * x / static_cast<double>(points); };
  const auto y_of = [&](double y) { return top + plot_h * (1 - axis.fraction(y)); };
  // The latency panel: powers of ten from below the fastest second to above the slowest.
  const double lat_top = top + plot_h + gap;
  const double lo = std::pow(10.0, std::floor(std::log10(std::max(lat_min, 1e-7))));
  const double hi = std::pow(10.0, std::ceil(std::log10(std::max(lat_max, lo * 10))));
  const auto lat_y = [&](double v) {
    const double f =
        (std::log10(std::clamp(v, lo, hi)) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return lat_top + latency_h * (1 - f);
  };
  // The served panel: linear, under the latency panel when there is one; its top a little above
  // every connection, so that a line at all of them runs clear of the frame.
  const double srv_top = (latency ? lat_top + latency_h : top + plot_h) + gap;
  const y_axis srv_axis{1.1 * std::max(c.connections, 1U), false};
  const auto srv_y = [&](double v) { return srv_top + served_h * (1 - srv_axis.fraction(v)); };
  const double bottom_of_plots = served    ? srv_top + served_h
                                 : latency ? lat_top + latency_h
                                           : top + plot_h;

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{3}</text>\n"
      "<text x=\"{2}\" y=\"44\" fill=\"#444\">{4}</text>\n",
      width, height, left, xml_escape(c.title), xml_escape(c.subtitle));

  for (const double v : axis.ticks()) {
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        left, left + plot_w, y_of(v), left - 6, y_of(v) + 4, format_tick(v));
  }
  svg += time_axis(points, top + plot_h, x_of);
  svg += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" stroke=\"#888\"/>\n"
      "<text x=\"{4}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>\n"
      "<text transform=\"translate(18 {7}) rotate(-90)\" text-anchor=\"middle\">{8}</text>\n",
      left, top, plot_w, plot_h, left + plot_w / 2, bottom_of_plots + 36, xml_escape(c.x_label),
      top + plot_h / 2, xml_escape(c.y_label));
  if (latency) {
    for (double v = lo; v <= hi * 1.0001; v *= 10) {
      svg += fmt::format(
          "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n"
          "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
          left, left + plot_w, lat_y(v), left - 6, lat_y(v) + 4, format_duration_tick(v));
    }
    svg += time_axis(points, lat_top + latency_h, x_of);
    svg += fmt::format(
        "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" stroke=\"#888\"/>\n"
        "<text transform=\"translate(18 {4}) rotate(-90)\" text-anchor=\"middle\">{5}</text>\n",
        left, lat_top, plot_w, latency_h, lat_top + latency_h / 2, xml_escape(c.latency_label));
  }
  if (served) {
    for (const double v : {0.0, static_cast<double>(c.connections)}) {
      svg += fmt::format(
          "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n"
          "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:g}</text>\n",
          left, left + plot_w, srv_y(v), left - 6, srv_y(v) + 4, v);
    }
    svg += time_axis(points, srv_top + served_h, x_of);
    svg += fmt::format(
        "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" stroke=\"#888\"/>\n"
        "<text transform=\"translate(18 {4}) rotate(-90)\" text-anchor=\"middle\">served</text>\n"
        "<text class=\"served-caption\" x=\"{5}\" y=\"{6}\" fill=\"#444\">{7}</text>\n",
        left, srv_top, plot_w, served_h, srv_top + served_h / 2, left, srv_top - 5,
        xml_escape(c.served_label));
  }

  // The markers cross every panel; their labels sit above the top one, where no line runs.
  for (const auto& [mx, label] :
       {std::pair{c.marker_x, c.marker_label}, std::pair{c.end_marker_x, c.end_marker_label}}) {
    if (!mx) continue;
    const double x = x_of(*mx);
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#333\" "
        "stroke-dasharray=\"6 4\"/>\n"
        "<text x=\"{3:.1f}\" y=\"{4}\" fill=\"#333\">{5}</text>\n",
        x, top - 4, bottom_of_plots, x + 4, top - 6, xml_escape(label));
  }

  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const auto& s = c.series[i];
    const auto style = style_of(s.name);
    const auto dash =
        style.dash.empty() ? std::string() : fmt::format(" stroke-dasharray=\"{}\"", style.dash);
    for (const auto& pts : step_lines(s.values, x_of, y_of, [](double) { return true; })) {
      svg += fmt::format(
          "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"{} points=\"{}\"/>\n",
          style.color, dash, pts);
    }
    for (const auto& pts : step_lines(s.latency_s, x_of, lat_y, [](double v) { return v > 0; })) {
      svg += fmt::format(
          "<polyline class=\"latency\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} "
          "points=\"{}\"/>\n",
          style.color, dash, pts);
    }
    if (served) {
      for (const auto& pts : step_lines(s.served, x_of, srv_y, [](double) { return true; })) {
        svg += fmt::format(
            "<polyline class=\"served\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} "
            "points=\"{}\"/>\n",
            style.color, dash, pts);
      }
    }
    const double row = top + 10 + (s.note.empty() ? 20.0 : 34.0) * static_cast<double>(i);
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"3\"{4}/>\n"
        "<text x=\"{5}\" y=\"{6}\">{7}</text>\n",
        left + plot_w + 12, left + plot_w + 36, row, style.color, dash, left + plot_w + 42, row + 4,
        xml_escape(s.name));
    if (!s.note.empty()) {
      svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#444\" font-size=\"10\">{}</text>\n",
                         left + plot_w + 42, row + 17, xml_escape(s.note));
    }
  }
  if (!c.footer.empty()) {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#666\" font-size=\"11\">{}</text>\n", left,
                       height - 4, xml_escape(c.footer));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace primeloop::lab
