#pragma once
/// What an interrupted lab can still show: the columns that finished and the seconds the
/// running one measured before Ctrl-C.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::lab {

/// An observer that passes everything on to another one (the live table) and keeps a copy of
/// what was measured, for the summary of a run cut short.
class partial_record final : public lab_observer {
 public:
  /// Forwards to next, which must outlive this record.
  explicit partial_record(lab_observer& next) : next_(next) {}

  void round_started(unsigned round, unsigned rounds) override;
  void started(std::size_t index, const std::string& listening_line) override;
  void second(std::size_t index, const clients::second_sample& sample) override;
  void finished(std::size_t index, const executor_run& run) override;

  /// "interrupted: what was measured so far" and the summary table of the finished columns and
  /// of the running one (its seconds so far; its latencies are not known yet). With --repeat,
  /// the repeated summary of the runs that finished; the running one is not counted.
  [[nodiscard]] std::string summary(const lab_config& config) const;

 private:
  /// The summary with --repeat: the repeated table of the runs that finished.
  [[nodiscard]] std::string repeated_summary(const std::vector<executor_summary>& rows,
                                             const lab_config& config) const;
  lab_observer& next_;
  std::vector<executor_run> finished_;
  std::optional<executor_run> running_;  // the column under way: its seconds only
  std::size_t running_index_ = 0;        // its index in config.executors
  unsigned round_ = 1;                   // the round under way
};

}  // namespace primeloop::lab
