#pragma once
/// --repeat: each column run several times, in interleaved rounds, and every figure of the
/// summary shown as the median of the rounds with its range, so that a reader sees the spread a
/// shared machine gives instead of one draw.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::lab {

/// One round's value of a figure.
struct draw {
  double value = 0;
  bool lower_bound = false;  ///< requests still unanswered at the end: the value is at least this
};

/// A figure over the rounds: its median and its range.
struct spread {
  double median = 0;  ///< of an even count, the mean of the middle two
  double min = 0, max = 0;
  bool median_lower_bound = false, min_lower_bound = false, max_lower_bound = false;
  std::size_t rounds = 0;  ///< how many draws it is made of
};

/// The lab's header line on --repeat ("  3 rounds, interleaved: ..."); empty without it.
[[nodiscard]] std::string describe_rounds(const lab_config& config);

/// The median and the range of draws (in any order); nullopt when there are none.
[[nodiscard]] std::optional<spread> spread_of(std::vector<draw> draws);

/// The figures the repeated summary shows, in its order: before/s, during/s, after/s, kept,
/// p50, p99, max, loop lag, long.
[[nodiscard]] std::vector<std::string_view> repeat_figures();

/// One figure (a name of repeat_figures) of one column over its rounds; failed rounds and
/// rounds without the figure (no after phase, nothing answered during) are left out. Rates in
/// req/s, kept as a ratio, latencies and the loop lag in nanoseconds. nullopt when no round
/// gives it.
[[nodiscard]] std::optional<spread> figure_spread(const std::vector<executor_summary>& rounds,
                                                  std::string_view figure);

/// Each column's rounds, [column][round], from the summaries of run_lab's runs (round after
/// round, `columns` of them in each).
[[nodiscard]] std::vector<std::vector<executor_summary>> rounds_by_column(
    const std::vector<executor_summary>& rows, std::size_t columns);

/// Which of a column's rounds the chart draws: the one whose kept is the median (of an even
/// count, the lower of the middle two), counting valid rounds only; 0 when none has a kept.
[[nodiscard]] std::size_t median_round(const std::vector<executor_summary>& rounds);
/// For each column, the index into rows (round after round, `columns` a round) of its
/// median_round: the runs the chart, the story table and the open-loop table show.
[[nodiscard]] std::vector<std::size_t> median_runs(const std::vector<executor_summary>& rows,
                                                   std::size_t columns);

/// The repeated summary as text: for each figure a line of each column's median and below it a
/// line of its range (lowest-highest), then the legend, the loop lag's verdicts on the medians
/// and the failed rounds. Columns are split into several tables when they would not fit 100
/// characters. Starts with "summary:", as the single run's summary does.
[[nodiscard]] std::string format_repeat_table(
    const std::vector<std::vector<executor_summary>>& columns, const lab_config& config);

/// lab-repeat.csv: executor,figure,unit,rounds,median,min,max,lower_bounds (which of median, min
/// and max are lower bounds, as "median+max").
[[nodiscard]] std::string repeat_csv(const std::vector<std::vector<executor_summary>>& columns);

}  // namespace primeloop::lab
