#pragma once
/// The live table on a terminal: one table for the whole lab, redrawn in place every second
/// (ANSI cursor movement, as htop or oha's live view do), each executor's column filling in as
/// it runs. On a pipe or a file the lab prints plain lines instead (live_table).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::lab {

/// Whether out is a terminal: the lab then draws its live_screen.
[[nodiscard]] bool is_terminal(std::FILE* out);

/// Redraws the table of every executor's seconds in place on out, a terminal.
class live_screen final : public lab_observer {
 public:
  live_screen(const lab_config& config, std::FILE* out);

  void round_started(unsigned round, unsigned rounds) override;
  void started(std::size_t index, const std::string& listening_line) override;
  void second(std::size_t index, const clients::second_sample& sample) override;
  void finished(std::size_t index, const executor_run& run) override;

  /// The table as it stands, without escape sequences (what a redraw writes).
  [[nodiscard]] std::string render() const;

 private:
  void redraw();
  const lab_config& config_;
  std::FILE* out_;
  std::vector<std::vector<std::optional<std::uint64_t>>> values_;  // [executor][second - 1]
  std::vector<std::string> status_;  // one line per executor: waiting, running, how it ended
  std::size_t drawn_lines_ = 0;      // lines the last redraw wrote: the cursor goes up by them
  std::size_t width_ = 8;
  unsigned round_ = 1, rounds_ = 1;  // --repeat: the round this table shows
};

}  // namespace primeloop::lab
