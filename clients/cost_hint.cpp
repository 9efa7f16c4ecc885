#include "clients/cost_hint.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "core/workloads.hpp"

namespace primeloop::clients {

namespace {

/// The workloads' estimates count steps; 10^6 steps are about a millisecond (core/workloads).
constexpr double steps_per_second = 1e9;

double seconds_of(workload w, std::uint64_t n) {
  return estimated_cost(w, n) / steps_per_second;
}

}  // namespace

std::string rough_duration(double seconds) {
  struct unit {
    double seconds;
    std::string_view name;
  };
  // The largest unit there is at least one of: 90 s is 1.5 min, 36 hours 1.5 days.
  static constexpr unit units[] = {
      {1, "s"}, {60, "min"}, {3600, "hours"}, {86'400, "days"}, {365.25 * 86'400, "years"}};
  if (!(seconds >= 1)) return "under a second";
  const unit* u = &units[0];
  for (const auto& next : units) {
    if (seconds >= next.seconds) u = &next;
  }
  const double count = seconds / u->seconds;
  if (count >= 1e6) return fmt::format("about {:.0e} {}", count, u->name);
  return count < 10 ? fmt::format("about {:.1f} {}", count, u->name)
                    : fmt::format("about {:.0f} {}", count, u->name);
}

std::vector<std::string> cost_hint(const std::vector<std::string>& requests) {
  std::uint64_t n = 0;
  for (const auto& r : requests) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(r.data(), r.data() + r.size(), v);
    if (ec == std::errc{} && end == r.data() + r.size()) n = std::max(n, v);
  }
  const double naive = seconds_of(workload::naive, n);
  if (n == 0 || naive < static_cast<double>(long_request.count())) return {};
  return {
      fmt::format("n={}: {} on the naive workload (the default);", n, rough_duration(naive)),
      fmt::format("trial: {}, sieve: {}, fast: {}", rough_duration(seconds_of(workload::trial, n)),
                  rough_duration(seconds_of(workload::sieve, n)),
                  rough_duration(seconds_of(workload::fast, n))),
  };
}

}  // namespace primeloop::clients
