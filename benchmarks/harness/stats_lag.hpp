#pragma once
/// The loop lag a server's stats line reports ("... lag p99 0.08 ms max 0.21 ms", or "lag now
/// 3.2 s (the loop is stuck)"), read back by the lab.
#include <chrono>
#include <optional>
#include <string_view>

namespace primeloop::harness {

/// The worst lag a stats line reports: its max, or how long the loop has been stuck; nullopt
/// when the line says nothing of lag (a server that does not report it).
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_stats_lag(std::string_view line);

}  // namespace primeloop::harness
