#include "core/proc_self.hpp"

#include <charconv>

namespace primeloop {
namespace {

/// The next space-separated field of s (s is advanced past it), or an empty view at the end.
std::string_view next_field(std::string_view& s) noexcept {
  const auto start = s.find_first_not_of(" \n");
  if (start == std::string_view::npos) {
    s = {};
    return {};
  }
  s.remove_prefix(start);
  const auto end = s.find_first_of(" \n");
  const auto field = s.substr(0, end);
  s.remove_prefix(end == std::string_view::npos ? s.size() : end);
  return field;
}

std::optional<std::uint64_t> number(std::string_view s) noexcept {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<proc_stat_fields> parse_proc_pid_stat(std::string_view line) noexcept {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  auto rest = line.substr(close + 1);
  // rest begins with field 3 (state); field k is the (k - 2)th from here.
  proc_stat_fields f;
  for (int k = 3; k <= 24; ++k) {
    const auto field = next_field(rest);
    if (field.empty()) return std::nullopt;
    if (k != 14 && k != 15 && k != 22 && k != 24) continue;
    const auto v = number(field);
    if (!v) return std::nullopt;
    if (k == 14) f.utime_ticks = *v;
    if (k == 15) f.stime_ticks = *v;
    if (k == 22) f.starttime_ticks = *v;
    if (k == 24) f.rss_pages = *v;
  }
  return f;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) noexcept {
  while (!proc_stat.empty()) {
    const auto eol = proc_stat.find('\n');
    const auto line = proc_stat.substr(0, eol);
    proc_stat.remove_prefix(eol == std::string_view::npos ? proc_stat.size() : eol + 1);
    if (line.substr(0, 6) == "btime ") return number(line.substr(6));
  }
  return std::nullopt;
}

}  // namespace primeloop
