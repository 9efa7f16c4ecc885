#include "benchmarks/lab/lab_repeat.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "benchmarks/harness/wrap_words.hpp"
#include "benchmarks/lab/lab_report.hpp"
#include "clients/report.hpp"

namespace primeloop::lab {
namespace {

/// How a figure reads: req/s, a share, a duration or a count.
enum class figure_kind { rate, share, duration, count };

/// One figure of the repeated summary: its name (the summary's column), its CSV unit, and its
/// value in one round (none when the round has no such figure).
struct figure_def {
  std::string_view name;
  std::string_view unit;
  figure_kind how;
  std::optional<draw> (*of)(const executor_summary&);
};

/// Whether a round measured any latency during the long request.
bool has_latency(const executor_summary& r) {
  return r.during_answered > 0 || r.unfinished > 0;
}

double ns_of(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count());
}

constexpr std::array<figure_def, 9> shown_figures{{
    {"before/s", "req/s", figure_kind::rate,
     [](const executor_summary& r) -> std::optional<draw> { return draw{r.before_rps}; }},
    {"during/s", "req/s", figure_kind::rate,
     [](const executor_summary& r) -> std::optional<draw> { return draw{r.during_rps}; }},
    {"after/s", "req/s", figure_kind::rate,
     [](const executor_summary& r) -> std::optional<draw> {
       if (r.after_first == 0) return std::nullopt;
       return draw{r.after_rps};
     }},
    {"kept", "ratio", figure_kind::share,
     [](const executor_summary& r) -> std::optional<draw> {
       if (!r.retention) return std::nullopt;
       return draw{*r.retention};
     }},
    {"p50", "us", figure_kind::duration,
     [](const executor_summary& r) -> std::optional<draw> {
       if (!has_latency(r)) return std::nullopt;
       return draw{ns_of(r.p50), r.p50_lower_bound};
     }},
    {"p99", "us", figure_kind::duration,
     [](const executor_summary& r) -> std::optional<draw> {
       if (!has_latency(r)) return std::nullopt;
       return draw{ns_of(r.p99), r.p99_lower_bound};
     }},
    {"max", "us", figure_kind::duration,
     [](const executor_summary& r) -> std::optional<draw> {
       if (!has_latency(r)) return std::nullopt;
       return draw{ns_of(r.max), r.max_lower_bound};
     }},
    {"loop lag", "us", figure_kind::duration,
     [](const executor_summary& r) -> std::optional<draw> {
       if (!r.worst_lag) return std::nullopt;
       return draw{ns_of(*r.worst_lag)};
     }},
    {"long", "count", figure_kind::count,
     [](const executor_summary& r) -> std::optional<draw> {
       return draw{static_cast<double>(r.long_completed)};
     }},
}};

const figure_def& find_figure(std::string_view name) {
  const auto* f = std::find_if(shown_figures.begin(), shown_figures.end(),
                               [&](const figure_def& x) { return x.name == name; });
  if (f == shown_figures.end()) throw std::invalid_argument(fmt::format("no figure '{}'", name));
  return *f;
}

std::chrono::nanoseconds as_duration(double ns) {
  return std::chrono::nanoseconds{std::llround(ns)};
}

/// The median as the summary table would show the value.
std::string median_text(const figure_def& f, const spread& s) {
  switch (f.how) {
    case figure_kind::rate:
    case figure_kind::count:
      return fmt::format("{:.0f}", s.median);
    case figure_kind::share:
      return fmt::format("{:.1f}%", s.median * 100);
    case figure_kind::duration:
      break;
  }
  return clients::human_latency(as_duration(s.median), s.median_lower_bound, true);
}

/// The range as "lowest-highest", the unit once when both ends share it ("201-352 us").
std::string range_text(const figure_def& f, const spread& s) {
  switch (f.how) {
    case figure_kind::rate:
    case figure_kind::count:
      return fmt::format("{:.0f}-{:.0f}", s.min, s.max);
    case figure_kind::share:
      return fmt::format("{:.1f}-{:.1f}%", s.min * 100, s.max * 100);
    case figure_kind::duration:
      break;
  }
  const auto lo = clients::human_duration(as_duration(s.min));
  const auto hi = clients::human_duration(as_duration(s.max));
  const auto unit_at = lo.rfind(' ');
  if (s.min_lower_bound == s.max_lower_bound && hi.ends_with(lo.substr(unit_at))) {
    return fmt::format("{}{}-{}", s.max_lower_bound ? ">= " : "", lo.substr(0, unit_at), hi);
  }
  return fmt::format("{} - {}", clients::human_latency(as_duration(s.min), s.min_lower_bound, true),
                     clients::human_latency(as_duration(s.max), s.max_lower_bound, true));
}

/// Whether a column's "after" counts in its kept (the summary's brackets when it does not).
bool after_counts(const std::vector<executor_summary>& rounds) {
  return std::any_of(rounds.begin(), rounds.end(),
                     [](const executor_summary& r) { return !r.failed && r.after_counts; });
}

/// The cells of one column: [figure][0: median, 1: range], "-" where no round gives it.
std::vector<std::array<std::string, 2>> cells_of(const std::vector<executor_summary>& rounds) {
  std::vector<std::array<std::string, 2>> cells;
  const auto valid = std::count_if(rounds.begin(), rounds.end(),
                                   [](const executor_summary& r) { return !r.failed; });
  cells.push_back({fmt::format("{}/{}", valid, rounds.size()), ""});
  for (const auto& f : shown_figures) {
    const auto s = figure_spread(rounds, f.name);
    if (!s) {
      cells.push_back({"-", ""});
      continue;
    }
    std::array<std::string, 2> cell{median_text(f, *s), range_text(f, *s)};
    // As in the summary: an "after" that does not count in kept is in brackets.
    if (f.name == "after/s" && !after_counts(rounds)) {
      for (auto& c : cell) c = "(" + c + ")";
    }
    cells.push_back(std::move(cell));
  }
  return cells;
}

/// The rows of one table: a header of column names, then for each figure its medians and, on
/// the line below, its ranges.
std::string format_table(const std::vector<std::string>& names,
                         const std::vector<std::vector<std::array<std::string, 2>>>& cells,
                         const std::vector<std::size_t>& widths, std::size_t first,
                         std::size_t last) {
  constexpr std::size_t label = 10;
  std::string out = fmt::format("{:<{}}", "figure", label);
  for (auto c = first; c < last; ++c) out += fmt::format("{:>{}}", names[c], widths[c]);
  out += '\n';
  for (std::size_t row = 0; row < cells.front().size(); ++row) {
    const std::string_view name = row == 0 ? "rounds" : shown_figures[row - 1].name;
    std::string median = fmt::format("{:<{}}", name, label), range(label, ' ');
    bool any_range = false;
    for (auto c = first; c < last; ++c) {
      median += fmt::format("{:>{}}", cells[c][row][0], widths[c]);
      range += fmt::format("{:>{}}", cells[c][row][1], widths[c]);
      any_range = any_range || !cells[c][row][1].empty();
    }
    out += median + '\n';
    if (any_range) out += range + '\n';
  }
  return out;
}

}  // namespace

std::string describe_rounds(const lab_config& config) {
  if (config.repeat <= 1) return {};
  return fmt::format(
      "  {} rounds, interleaved: each runs every column once, in order; {} s of load in all\n",
      config.repeat, config.repeat * config.executors.size() * config.total_s());
}

std::optional<spread> spread_of(std::vector<draw> draws) {
  if (draws.empty()) return std::nullopt;
  // Among equal values a lower bound sorts last: the highest end is then marked when any is.
  std::sort(draws.begin(), draws.end(), [](const draw& a, const draw& b) {
    return a.value != b.value ? a.value < b.value : a.lower_bound < b.lower_bound;
  });
  spread s;
  s.rounds = draws.size();
  s.min = draws.front().value;
  s.min_lower_bound = draws.front().lower_bound;
  s.max = draws.back().value;
  s.max_lower_bound = draws.back().lower_bound;
  const auto mid = draws.size() / 2;
  if (draws.size() % 2 == 1) {
    s.median = draws[mid].value;
    s.median_lower_bound = draws[mid].lower_bound;
  } else {
    s.median = (draws[mid - 1].value + draws[mid].value) / 2;
    s.median_lower_bound = draws[mid - 1].lower_bound || draws[mid].lower_bound;
  }
  return s;
}

std::vector<std::string_view> repeat_figures() {
  std::vector<std::string_view> names;
  for (const auto& f : shown_figures) names.push_back(f.name);
  return names;
}

std::optional<spread> figure_spread(const std::vector<executor_summary>& rounds,
                                    std::string_view name) {
  const auto& f = find_figure(name);
  std::vector<draw> draws;
  for (const auto& r : rounds) {
    if (r.failed) continue;
    if (const auto d = f.of(r)) draws.push_back(*d);
  }
  return spread_of(std::move(draws));
}

std::vector<std::vector<executor_summary>> rounds_by_column(
    const std::vector<executor_summary>& rows, std::size_t columns) {
  std::vector<std::vector<executor_summary>> out(columns);
  for (std::size_t i = 0; i < rows.size(); ++i) out[i % columns].push_back(rows[i]);
  return out;
}

std::size_t median_round(const std::vector<executor_summary>& rounds) {
  std::vector<std::pair<double, std::size_t>> kept;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    if (!rounds[i].failed && rounds[i].retention) kept.emplace_back(*rounds[i].retention, i);
  }
  if (kept.empty()) return 0;
  std::sort(kept.begin(), kept.end());
  return kept[(kept.size() - 1) / 2].second;
}

std::vector<std::size_t> median_runs(const std::vector<executor_summary>& rows,
                                     std::size_t columns) {
  const auto by_column = rounds_by_column(rows, columns);
  std::vector<std::size_t> out;
  for (std::size_t c = 0; c < columns; ++c) out.push_back(median_round(by_column[c]) * columns + c);
  return out;
}

std::string format_repeat_table(const std::vector<std::vector<executor_summary>>& columns,
                                const lab_config& config) {
  std::vector<std::string> names(config.executors.begin(), config.executors.end());
  std::vector<std::vector<std::array<std::string, 2>>> cells;
  std::vector<std::size_t> widths;
  for (std::size_t c = 0; c < names.size(); ++c) {
    cells.push_back(cells_of(c < columns.size() ? columns[c] : std::vector<executor_summary>{}));
    std::size_t w = std::max<std::size_t>(12, names[c].size() + 2);
    for (const auto& cell : cells.back()) {
      w = std::max({w, cell[0].size() + 2, cell[1].size() + 2});
    }
    widths.push_back(w);
  }
  std::size_t rounds = 0;
  for (const auto& c : columns) rounds = std::max(rounds, c.size());
  std::string out = fmt::format(
      "summary: the median of {} round{}, below it the range (lowest-highest)\n  {}\n{}{}", rounds,
      rounds == 1 ? "" : "s", describe_scenario(config),
      harness::wrap_words(fmt::format("  rounds interleaved: each round runs {} once, in this "
                                      "order, so drift of the machine hits every column alike",
                                      fmt::join(names, ", ")),
                          100) +
          "\n",
      describe_phases(config));
  // As many columns a table as fit 100 characters; the rest in the next one.
  for (std::size_t first = 0; first < names.size();) {
    std::size_t last = first, width = 10;
    while (last < names.size() && (last == first || width + widths[last] <= 100)) {
      width += widths[last++];
    }
    if (first > 0) out += '\n';
    out += format_table(names, cells, widths, first, last);
    first = last;
  }
  out += "  rounds = rounds with valid figures / rounds run; failed rounds are left out\n";
  out += summary_legend();
  std::vector<executor_summary> all;
  for (const auto& c : columns) all.insert(all.end(), c.begin(), c.end());
  out += describe_long_column(all, config);
  out +=
      "  loop lag: how late the server's event loop ran, worst during the long request; at "
      "the median:\n";
  std::size_t name_width = 10;
  for (const auto& n : names) name_width = std::max(name_width, n.size());
  for (std::size_t c = 0; c < columns.size() && c < names.size(); ++c) {
    const auto lag = figure_spread(columns[c], "loop lag");
    out += fmt::format("  {:<{}}  {}\n", names[c], name_width,
                       lag_verdict(lag ? std::optional{as_duration(lag->median)} : std::nullopt));
  }
  for (const auto& r : all) {
    if (!r.failed) continue;
    out += harness::wrap_words(fmt::format("  [{}] round {} {}", r.executor, r.round, r.server_end),
                               100) +
           "\n";
  }
  return out;
}

std::string repeat_csv(const std::vector<std::vector<executor_summary>>& columns) {
  std::string out = "executor,figure,unit,rounds,median,min,max,lower_bounds\n";
  for (const auto& rounds : columns) {
    if (rounds.empty()) continue;
    for (const auto& f : shown_figures) {
      const auto s = figure_spread(rounds, f.name);
      if (!s) continue;
      // Durations in microseconds, as the other CSV files have them.
      const double scale = f.how == figure_kind::duration ? 1e-3 : 1.0;
      std::string bounds;
      for (const auto& [flag, what] :
           {std::pair{s->median_lower_bound, "median"}, std::pair{s->min_lower_bound, "min"},
            std::pair{s->max_lower_bound, "max"}}) {
        if (!flag) continue;
        if (!bounds.empty()) bounds += '+';
        bounds += what;
      }
      out +=
          fmt::format("{},{},{},{},{:.4f},{:.4f},{:.4f},{}\n", rounds.front().executor, f.name,
                      f.unit, s->rounds, s->median * scale, s->min * scale, s->max * scale, bounds);
    }
  }
  return out;
}

}  // namespace primeloop::lab
