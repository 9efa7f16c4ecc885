#pragma once
/// CLI11's help formatter with every line wrapped to fit a terminal: CLI11 2.1 writes each
/// description on one line, however long.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace primeloop::cli {

/// text cut into lines of at most `columns` characters at spaces (a longer word stands alone);
/// the text's own line breaks are kept.
[[nodiscard]] std::vector<std::string> wrap(std::string_view text, std::size_t columns);

/// Help with flags in a left column and descriptions wrapped beside them, within `columns`.
class help_formatter : public CLI::Formatter {
 public:
  help_formatter(std::size_t columns, std::size_t column);

  std::string make_option(const CLI::Option* opt, bool is_positional) const override;
  std::string make_description(const CLI::App* app) const override;
  std::string make_footer(const CLI::App* app) const override;

 private:
  [[nodiscard]] std::string wrapped(std::string_view text) const;
  std::size_t width_;
};

}  // namespace primeloop::cli
