#pragma once
/// The live table on a terminal: one table for the whole lab, redrawn in place every second
/// (clients/terminal_block, which the load client's live view draws with too), each executor's
/// column filling in as it runs. On a pipe or a file the lab prints plain lines instead
/// (live_table).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/lab/lab.hpp"
#include "clients/terminal_block.hpp"

namespace primeloop::lab {

using clients::is_terminal;  ///< the lab draws its live_screen on a terminal only

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
  void redraw() { block_.draw(render()); }
  const lab_config& config_;
  clients::terminal_block block_;
  std::vector<std::vector<std::optional<std::uint64_t>>> values_;  // [executor][second - 1]
  std::vector<std::string> status_;  // one line per executor: waiting, running, how it ended
  std::size_t width_ = 8;
  unsigned round_ = 1, rounds_ = 1;  // --repeat: the round this table shows
};

}  // namespace primeloop::lab
