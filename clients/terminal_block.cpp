#include "clients/terminal_block.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace primeloop::clients {

bool is_terminal(std::FILE* out) {
  return ::isatty(::fileno(out)) == 1;
}

void terminal_block::draw(std::string_view text) {
  // One write for the whole frame, so the terminal never shows it half drawn.
  std::string frame;
  if (drawn_lines_ > 0) frame = fmt::format("\x1b[{}F\x1b[J", drawn_lines_);
  frame += text;
  drawn_lines_ = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  std::fwrite(frame.data(), 1, frame.size(), out_);
  std::fflush(out_);
}

void terminal_block::leave() {
  drawn_lines_ = 0;
  std::fputs("\n", out_);
  std::fflush(out_);
}

}  // namespace primeloop::clients
