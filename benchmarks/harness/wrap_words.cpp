#include "benchmarks/harness/wrap_words.hpp"

namespace primeloop::harness {

std::string wrap_words(std::string_view text, std::size_t width) {
  constexpr std::string_view indent = "    ";
  std::string out;
  std::size_t line_start = 0;  // where the current output line starts in out
  while (!text.empty()) {
    if (out.size() - line_start + text.size() <= width) {
      out += text;
      break;
    }
    // The last space that keeps this line within width; none: the first space after it.
    const auto room = width - (out.size() - line_start);
    auto cut = text.substr(0, room + 1).rfind(' ');
    if (cut == std::string_view::npos || cut == 0) cut = text.find(' ', 1);
    if (cut == std::string_view::npos) {
      out += text;
      break;
    }
    out += text.substr(0, cut);
    out += '\n';
    line_start = out.size();
    out += indent;
    text.remove_prefix(cut + 1);
  }
  return out;
}

std::string wrap_lines(std::string_view text, std::size_t width) {
  std::string out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    out += wrap_words(text.substr(0, end), width);
    if (end == std::string_view::npos) break;
    out += '\n';
    text.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace primeloop::harness
