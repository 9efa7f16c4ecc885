#pragma once
/// Long lines of a report folded at spaces, so that every line fits a terminal.
#include <cstddef>
#include <string>
#include <string_view>

namespace primeloop::harness {

/// text (one line) folded at spaces into lines of at most width columns; each continuation
/// line starts with four spaces. A word longer than a line is left whole. No trailing newline.
[[nodiscard]] std::string wrap_words(std::string_view text, std::size_t width);

/// Every line of text folded as wrap_words does; the newlines of text are kept.
[[nodiscard]] std::string wrap_lines(std::string_view text, std::size_t width);

}  // namespace primeloop::harness
