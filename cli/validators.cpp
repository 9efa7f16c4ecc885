#include "cli/validators.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include <fmt/format.h>

namespace primeloop::cli {

namespace {

/// "must be lo-hi" and the note, if any: what every range check says.
std::string accepted(std::string_view range, const std::string& note) {
  return note.empty() ? fmt::format("must be {}", range)
                      : fmt::format("must be {} ({})", range, note);
}

/// The whole of s as a number of type T, or nullopt (empty, a sign where T has none, trailing
/// text, or past T's range).
template <class T>
std::optional<T> whole_number(const std::string& s) {
  T v{};
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return v;
}

template <class T>
CLI::Validator integer_range(T lo, T hi, std::string note) {
  const std::string range = fmt::format("{}-{}", lo, hi);
  return CLI::Validator(
      [lo, hi, range, note](std::string& s) -> std::string {
        const auto v = whole_number<T>(s);
        if (v && *v >= lo && *v <= hi) return {};
        return fmt::format("{}: {}", s, accepted(range, note));
      },
      range);
}

/// Edit distance (insertions, deletions, substitutions), for did-you-mean.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

CLI::Validator range(std::int64_t lo, std::int64_t hi, std::string note) {
  return integer_range<std::int64_t>(lo, hi, std::move(note));
}

CLI::Validator range_u64(std::uint64_t lo, std::uint64_t hi, std::string note) {
  return integer_range<std::uint64_t>(lo, hi, std::move(note));
}

CLI::Validator seconds(double lo, double hi, std::string note) {
  return decimal(lo, hi, "seconds", std::move(note));
}

CLI::Validator decimal(double lo, double hi, std::string_view unit, std::string note) {
  const std::string range = fmt::format("{}-{} {}", lo, hi, unit);
  return CLI::Validator(
      [lo, hi, range, note](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        // NaN fails both comparisons, so it is refused with everything out of range.
        if (!s.empty() && end == s.c_str() + s.size() && v >= lo && v <= hi) return {};
        return fmt::format("{}: {}", s, accepted(range, note));
      },
      fmt::format("{}-{}", lo, hi));
}

namespace {

/// seconds clamped to what every duration flag accepts; NaN fails both comparisons: 0.
double clamped_seconds(double seconds) {
  return seconds >= 0 ? std::min(seconds, max_seconds) : 0.0;
}

}  // namespace

std::chrono::milliseconds milliseconds_of(double seconds) {
  return std::chrono::milliseconds{std::llround(clamped_seconds(seconds) * 1e3)};
}

std::chrono::microseconds microseconds_of(double seconds) {
  return std::chrono::microseconds{std::llround(clamped_seconds(seconds) * 1e6)};
}

std::string closest(std::string_view typed, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = 0;
  for (const auto& name : names) {
    const std::size_t d = distance(typed, name);
    // A prefix of two characters or more ("proc") or a slip of a key or two ("thread",
    // "procesess") counts; anything farther is a different word.
    const bool prefix = typed.size() >= 2 && name.starts_with(typed);
    const bool slip = d <= std::max<std::size_t>(1, std::min<std::size_t>(2, name.size() / 3));
    if (!prefix && !slip) continue;
    if (best.empty() || d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

std::string list_or(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

CLI::Validator one_of(std::vector<std::string> names, std::string what) {
  std::string description;
  for (const auto& n : names) description += (description.empty() ? "" : "|") + n;
  return CLI::Validator(
      [names, what](std::string& s) -> std::string {
        if (std::find(names.begin(), names.end(), s) != names.end()) return {};
        const auto guess = closest(s, names);
        if (!guess.empty()) return fmt::format("{}: unknown {}; did you mean {}?", s, what, guess);
        return fmt::format("{}: unknown {}; choose {}", s, what, list_or(names));
      },
      description);
}

}  // namespace primeloop::cli
