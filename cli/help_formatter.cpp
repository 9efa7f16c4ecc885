#include "cli/help_formatter.hpp"

#include <algorithm>

namespace primeloop::cli {

std::vector<std::string> wrap(std::string_view text, std::size_t columns) {
  std::vector<std::string> lines;
  columns = std::max<std::size_t>(columns, 1);
  while (!text.empty() || lines.empty()) {
    const auto eol = text.find('\n');
    std::string_view paragraph = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    std::string line;
    while (!paragraph.empty()) {
      const auto start = paragraph.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      paragraph.remove_prefix(start);
      const auto end = std::min(paragraph.find(' '), paragraph.size());
      const auto word = paragraph.substr(0, end);
      paragraph.remove_prefix(end);
      if (!line.empty() && line.size() + 1 + word.size() > columns) {
        lines.push_back(std::move(line));
        line.clear();
      }
      if (!line.empty()) line += ' ';
      line += word;
    }
    lines.push_back(std::move(line));
    if (eol == std::string_view::npos) break;
  }
  return lines;
}

help_formatter::help_formatter(std::size_t columns, std::size_t column) : width_(columns) {
  column_width(column);
}

std::string help_formatter::make_option(const CLI::Option* opt, bool is_positional) const {
  const std::string left = "  " + make_option_name(opt, is_positional) + make_option_opts(opt);
  const std::string desc = make_option_desc(opt);
  const std::size_t column = get_column_width();
  std::string out = left;
  if (desc.empty()) return out + "\n";
  const auto lines = wrap(desc, width_ - column);
  bool first = true;
  if (left.size() + 1 > column) out += '\n';  // a long flag: its description starts below
  for (const auto& line : lines) {
    const std::size_t used = first && left.size() + 1 <= column ? left.size() : 0;
    out.append(column - used, ' ');
    out += line;
    out += '\n';
    first = false;
  }
  return out;
}

std::string help_formatter::wrapped(std::string_view text) const {
  std::string out;
  for (const auto& line : wrap(text, width_)) out += line + '\n';
  return out;
}

std::string help_formatter::make_description(const CLI::App* app) const {
  const std::string desc = CLI::Formatter::make_description(app);
  return desc.empty() ? desc : wrapped(desc.substr(0, desc.size() - 1));
}

std::string help_formatter::make_footer(const CLI::App* app) const {
  const std::string footer = CLI::Formatter::make_footer(app);
  return footer.empty() ? footer : wrapped(footer.substr(0, footer.size() - 1));
}

}  // namespace primeloop::cli
