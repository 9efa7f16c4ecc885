#include "benchmarks/lab/lab_partial.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "benchmarks/lab/lab_repeat.hpp"
#include "benchmarks/lab/lab_report.hpp"

namespace primeloop::lab {

std::string partial_record::repeated_summary(const std::vector<executor_summary>& rows,
                                             const lab_config& config) const {
  const auto cut = running_ ? fmt::format(" ({} in round {} cut off after {} s: not counted)",
                                          config.executors.at(running_index_), round_,
                                          running_->load.seconds.size())
                            : std::string();
  if (rows.empty()) {
    return fmt::format("interrupted before a column finished a round{}: nothing to show\n", cut);
  }
  // The runs finished in order, round after round: the i-th is column i % columns.
  return fmt::format("interrupted in round {} of {}: the runs that finished{}\n{}", round_,
                     config.repeat, cut,
                     format_repeat_table(rounds_by_column(rows, config.executors.size()), config));
}

void partial_record::round_started(unsigned round, unsigned rounds) {
  round_ = round;
  next_.round_started(round, rounds);
}

void partial_record::started(std::size_t index, const std::string& listening_line) {
  running_.emplace();
  running_->listening_line = listening_line;
  running_->round = round_;
  running_index_ = index;
  next_.started(index, listening_line);
}

void partial_record::second(std::size_t index, const clients::second_sample& sample) {
  if (running_) {
    running_->load.seconds.push_back(sample);
    // Only the count is known before the run ends: an empty histogram keeps the figures "-".
    running_->load.histograms.emplace_back();
    running_->load.long_completed += sample.long_completed;
  }
  next_.second(index, sample);
}

void partial_record::finished(std::size_t index, const executor_run& run) {
  running_.reset();
  finished_.push_back(run);
  next_.finished(index, run);
}

std::string partial_record::summary(const lab_config& config) const {
  std::vector<executor_summary> rows;
  for (const auto& r : finished_) rows.push_back(summarize(r, config));
  if (config.repeat > 1) return repeated_summary(rows, config);
  std::string cut;
  if (running_ && !running_->load.seconds.empty()) {
    auto run = *running_;
    run.executor = config.executors.at(running_index_);
    // The figures of the seconds it had: a column cut during "before" has no "during" yet.
    auto measured = config;
    const auto seconds = static_cast<unsigned>(run.load.seconds.size());
    if (seconds < config.total_s()) {
      measured.before_s = std::min(config.before_s, seconds);
      measured.during_s = seconds - measured.before_s;
    }
    rows.push_back(summarize(run, measured));
    if (measured.during_s == 0) rows.back().retention.reset();  // nothing to compare yet
    rows.back().server_end = fmt::format("cut off after {} of {} s: latencies not known",
                                         run.load.seconds.size(), config.total_s());
    cut = fmt::format(" ({} cut off after {} s)", run.executor, run.load.seconds.size());
  }
  if (rows.empty()) return "interrupted before any second was measured: nothing to show\n";
  return fmt::format("interrupted: what was measured so far{}\n{}", cut,
                     format_summary_table(rows, config));
}

}  // namespace primeloop::lab
