#pragma once
/// The load client's live view on a terminal: one block of figures redrawn in place each second
/// (clients/terminal_block), where a pipe or a file gets one plain line a second
/// (format_second). The summary after the run is the same in both.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "clients/load_generator.hpp"
#include "clients/terminal_block.hpp"

namespace primeloop::clients {

/// The block: elapsed seconds, the last second's rate, p50/p99 and errors, the totals so far,
/// the slowest second, the long request's state.
class load_screen {
 public:
  /// Draws on out, a terminal; nothing is drawn before start().
  load_screen(const load_config& config, std::FILE* out);

  /// Draws the block before the first second ends (connecting, warming up).
  void start();
  /// One measured second ended: draws the block again with it.
  void second(const second_sample& s);

  /// The block as it stands, without escape sequences (what a draw writes).
  [[nodiscard]] std::string render() const;

 private:
  load_config config_;
  terminal_block block_;
  std::optional<second_sample> last_;
  std::uint64_t completed_ = 0, errors_ = 0, long_completed_ = 0;
  std::optional<second_sample> lowest_;  // the second with the fewest answers so far
};

}  // namespace primeloop::clients
