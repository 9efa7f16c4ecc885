#pragma once
/// A block of lines redrawn in place on a terminal (ANSI cursor movement, as htop or oha's live
/// view do): the lab's live table and the load client's live figures. On a pipe or a file the
/// programs print plain lines instead and never use it.
#include <cstddef>
#include <cstdio>
#include <string_view>

namespace primeloop::clients {

/// Whether out is a terminal: the live views are drawn only there.
[[nodiscard]] bool is_terminal(std::FILE* out);

/// The block last drawn on a terminal, drawn again over itself.
class terminal_block {
 public:
  /// Draws on out (flushed after every draw).
  explicit terminal_block(std::FILE* out) : out_(out) {}

  /// Replaces what the last draw wrote with text (whole lines, each ending in '\n'): up to the
  /// block's first line, clear to the end of the screen, write text.
  void draw(std::string_view text);
  /// Leaves the last draw on the screen: the next draw starts on a line of its own below it.
  void leave();

 private:
  std::FILE* out_;
  std::size_t drawn_lines_ = 0;  // lines the last draw wrote: the cursor goes up by them
};

}  // namespace primeloop::clients
