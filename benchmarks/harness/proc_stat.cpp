#include "benchmarks/harness/proc_stat.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace primeloop::harness {
namespace {

/// Reads the next space-separated number of text into value; false when there is none.
template <class T>
bool next_number(std::string_view& text, T& value) {
  const auto start = text.find_first_not_of(' ');
  if (start == std::string_view::npos) return false;
  text.remove_prefix(start);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{}) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

}  // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view text) {
  const auto paren = text.rfind(')');
  if (paren == std::string_view::npos || paren + 2 >= text.size()) return std::nullopt;
  // After ") ": field 3 state, 4 ppid, 5 pgrp, 6..13 (session .. cmajflt), 14 utime, 15 stime.
  std::string_view rest = text.substr(paren + 2);
  proc_stat st;
  st.state = rest.front();
  rest.remove_prefix(1);
  long long skip = 0;
  if (!next_number(rest, st.ppid) || !next_number(rest, st.pgrp)) return std::nullopt;
  for (int field = 6; field <= 13; ++field) {
    if (!next_number(rest, skip)) return std::nullopt;
  }
  if (!next_number(rest, st.utime) || !next_number(rest, st.stime)) return std::nullopt;
  return st;
}

std::optional<proc_stat> read_proc_stat(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(f, text)) return std::nullopt;
  return parse_proc_stat(text);
}

std::chrono::nanoseconds ticks_to_duration(std::uint64_t ticks) {
  static const auto per_second = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  return std::chrono::nanoseconds{static_cast<std::int64_t>(ticks * 1'000'000'000ULL / per_second)};
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    pid_t pid = 0;
    const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (err == std::errc{} && end == name.data() + name.size()) pids.push_back(pid);
  }
  return pids;
}

std::vector<pid_t> living_group_members(pid_t pgid) {
  return find_processes([pgid](const proc_stat& st) { return st.pgrp == pgid && st.living(); });
}

std::vector<pid_t> children_of(pid_t parent, bool zombies) {
  return find_processes([parent, zombies](const proc_stat& st) {
    return st.ppid == parent && (st.state == 'Z') == zombies;
  });
}

}  // namespace primeloop::harness
