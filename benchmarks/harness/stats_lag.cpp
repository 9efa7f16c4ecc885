#include "benchmarks/harness/stats_lag.hpp"

#include <charconv>

namespace primeloop::harness {
namespace {

/// "0.21 ms" at the start of text, as a duration; nullopt for anything else.
std::optional<std::chrono::nanoseconds> duration_at(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  const double scale = text.starts_with(" ms")   ? 1e6
                       : text.starts_with(" us") ? 1e3
                       : text.starts_with(" s")  ? 1e9
                                                 : 0;
  if (scale == 0 || value < 0) return std::nullopt;
  return std::chrono::nanoseconds{static_cast<long long>(value * scale)};
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_stats_lag(std::string_view line) {
  if (const auto at = line.find("lag now "); at != std::string_view::npos) {
    return duration_at(line.substr(at + 8));
  }
  const auto at = line.find("lag p99 ");
  if (at == std::string_view::npos) return std::nullopt;
  const auto max = line.find(" max ", at);
  if (max == std::string_view::npos) return std::nullopt;
  return duration_at(line.substr(max + 5));
}

}  // namespace primeloop::harness
