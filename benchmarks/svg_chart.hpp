#pragma once
/// A line chart drawn as SVG text by our own code: one line per series over whole seconds, with
/// one vertical marker (the long request's start). No plotting tool needed to make or open it.
#include <optional>
#include <string>
#include <vector>

namespace primeloop::lab {

/// One line of the chart: y values at x = 1, 2, 3, ...
struct chart_series {
  std::string name;            ///< shown in the legend
  std::vector<double> values;  ///< one per second
};

/// Everything the chart shows.
struct chart {
  std::string title;     ///< first line on top
  std::string subtitle;  ///< second line (connection count, the command)
  std::string x_label = "seconds";
  std::string y_label = "requests per second";
  std::vector<chart_series> series;
  std::optional<double> marker_x;  ///< a dashed vertical line here
  std::string marker_label;        ///< its label
};

/// The chart as a standalone SVG document (opens in any browser).
[[nodiscard]] std::string render_svg(const chart& c);

/// A round axis maximum at or above v: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten
/// (1 for v <= 0).
[[nodiscard]] double nice_ceiling(double v);

/// Escapes &, <, > and quotes for SVG text and attributes.
[[nodiscard]] std::string xml_escape(const std::string& s);

}  // namespace primeloop::lab
