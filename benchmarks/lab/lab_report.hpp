#pragma once
/// What the lab shows and writes: the live table (one row a second, one column per executor),
/// the summary table, the CSV files and the SVG chart.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::lab {

/// Prints the live table as the lab runs. Executors run in turn, so while executor k runs, each
/// row shows the same second of the executors before it next to the live value: the freeze and
/// the non-freeze side by side.
class live_table final : public lab_observer {
 public:
  /// Prints to out (flushed after every line).
  live_table(const lab_config& config, std::FILE* out);

  void round_started(unsigned round, unsigned rounds) override;
  void started(std::size_t index, const std::string& listening_line) override;
  void second(std::size_t index, const clients::second_sample& sample) override;
  void finished(std::size_t index, const executor_run& run) override;

 private:
  /// Columns of a terminal the table keeps within.
  static constexpr std::size_t max_width = 100;
  [[nodiscard]] std::string header() const;
  [[nodiscard]] std::string marker() const;  // after the row of the long request's first second
  const lab_config& config_;
  std::FILE* out_;
  std::vector<std::vector<std::optional<std::uint64_t>>> values_;  // [executor][second - 1]
  std::vector<std::size_t> widths_;
  bool numbered_ = false;  // columns named c1, c2, ... with a legend: their names are too wide
};

/// The one-line description of a lab run: executors, connections, depth, n, long request.
[[nodiscard]] std::string describe_scenario(const lab_config& config);
/// The summary's lines on the phases: which seconds each is the mean of, and what ran beside
/// the server before the long request.
[[nodiscard]] std::string describe_phases(const lab_config& config);
/// The summary's legend: what before/s, during/s, after/s, kept and '>=' mean.
[[nodiscard]] std::string summary_legend();
/// The summary table as text, one row per executor.
[[nodiscard]] std::string format_summary_table(const std::vector<executor_summary>& rows,
                                               const lab_config& config);
/// One verdict in words on a loop lag ("the loop stood still for 8.00 s: every client waited").
[[nodiscard]] std::string lag_verdict(const std::optional<std::chrono::nanoseconds>& lag);
/// The summary's lines on each executor's worst loop lag during the long request, with verdicts.
[[nodiscard]] std::string format_lag_verdicts(const std::vector<executor_summary>& rows,
                                              std::size_t name_width);
/// The summary's note on its `long` column: what it counts, and why 0 is normal in a short run.
[[nodiscard]] std::string describe_long_column(const std::vector<executor_summary>& rows,
                                               const lab_config& config);
/// --story: one row per stage of the lesson, saying which stage it is and what it shows.
[[nodiscard]] std::string format_story_table(const std::vector<executor_summary>& rows,
                                             const lab_config& config);
/// The per-second series as CSV (executor,second,requests,...).
[[nodiscard]] std::string series_csv(const std::vector<executor_run>& runs);
/// The summary as CSV, one row per executor.
[[nodiscard]] std::string summary_csv(const std::vector<executor_summary>& rows,
                                      const lab_config& config);
/// The requests-per-second chart of the runs.
[[nodiscard]] std::string lab_svg(const std::vector<executor_run>& runs, const lab_config& config);

/// Files written by write_lab_results.
struct lab_files {
  std::filesystem::path series_csv, summary_csv, chart_svg, run_txt;
  std::filesystem::path repeat_csv{};  ///< lab-repeat.csv: with --repeat only, else empty
};
/// Writes the series and summary CSV, the SVG chart and run.txt (the command, the machine, each
/// server's first line, the summary) into config.out_dir. With --repeat (runs round after round)
/// also lab-repeat.csv, the medians and ranges; run.txt then holds the repeated summary and
/// each round's, and the chart draws each column's median round by kept. Throws
/// std::runtime_error when a file cannot be written.
lab_files write_lab_results(const std::vector<executor_run>& runs,
                            const std::vector<executor_summary>& rows, const lab_config& config);

}  // namespace primeloop::lab
