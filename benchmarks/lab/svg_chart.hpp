#pragma once
/// A chart drawn as SVG text by our own code: one line per series over whole seconds, each second
/// a flat step (a freeze shows as a cliff, not a slope), with one vertical marker (the long
/// request's start); below the rates, optional panels of p99 latency and of the connections
/// served each second. No plotting tool needed to make or open it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace primeloop::lab {

/// One line of the chart: y values at x = 1, 2, 3, ...
struct chart_series {
  std::string name;            ///< shown in the legend
  std::vector<double> values;  ///< one per second
  /// The lower panel: p99 latency of each second in seconds (<= 0: none that second); the panel
  /// is drawn when any series has one.
  std::vector<double> latency_s{};
  std::string note{};  ///< a second legend line (the run's before / during / after)
  /// The bottom panel: connections that got any answer in each second (drawn when the chart's
  /// connections is set): one of sixteen for the blocking server, whatever its rate.
  std::vector<double> served{};
};

/// Everything the chart shows.
struct chart {
  std::string title;     ///< first line on top
  std::string subtitle;  ///< second line (connection count, the command)
  std::string x_label = "seconds";
  std::string y_label = "requests per second";
  std::vector<chart_series> series;
  std::optional<double> marker_x;      ///< a dashed vertical line here
  std::string marker_label;            ///< its label, drawn above the plot (never over a line)
  std::optional<double> end_marker_x;  ///< a second dashed line (the long request's end)
  std::string end_marker_label;        ///< its label, above the plot too
  /// A logarithmic y axis (0 at the bottom, then 1, 10, 100, ...): rates that differ by a factor
  /// stay apart even when both are tiny beside the largest (the lock at 5 ms and at 2 ms).
  bool log_y = false;
  std::string footer;  ///< small text under the plot (the command that made it)
  std::string latency_label = "p99 latency (log scale)";  ///< the lower panel's y label
  /// The connections a series can be served on: the top of the served panel (0: no panel).
  unsigned connections = 0;
  /// The served panel's caption, above it.
  std::string served_label = "connections that got any answer in each second";
};

/// How a series is drawn: the colour of its executor and a dash pattern for its variant.
struct series_style {
  std::string color;  ///< "#rrggbb"
  std::string dash;   ///< an SVG stroke-dasharray, or empty for a solid line
};

/// One colour per executor in every chart ("threads" is the same blue everywhere); variants of
/// an executor ("threads+gil5ms", "threads+adaptive") keep its colour and get a dash pattern.
/// A caption after a colon ("blocking: served 1/16") is ignored.
[[nodiscard]] series_style style_of(std::string_view series_name);

/// The chart as a standalone SVG document (opens in any browser).
[[nodiscard]] std::string render_svg(const chart& c);

/// The top of a logarithmic axis: the power of ten at or above v (10 for v <= 10).
[[nodiscard]] double log_ceiling(double v);

/// A round axis maximum at or above v: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten
/// (1 for v <= 0).
[[nodiscard]] double nice_ceiling(double v);

/// Escapes &, <, > and quotes for SVG text and attributes.
[[nodiscard]] std::string xml_escape(const std::string& s);

}  // namespace primeloop::lab
