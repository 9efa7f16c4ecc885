#include "benchmarks/lab/open_loop_table.hpp"

#include <fmt/format.h>

#include <chrono>

#include "clients/report.hpp"

namespace primeloop::lab {
std::string format_open_loop_table(const std::vector<executor_run>& runs,
                                   const lab_config& config) {
  if (config.rate <= 0) return {};
  const auto slo = clients::human_duration(config.slo);
  std::string out = fmt::format(
      "open loop: {:.0f} small requests a second, each timed from its due time (corrected);\n"
      "  figures of those due during the long request\n"
      "{:<18} {:>8} {:>12} {:>12} {:>11} {:>10}  {}\n",
      config.rate, "executor", "due", "p99", "p99.9", fmt::format("> {}", slo), "uncorr p99",
      "schedule");
  for (const auto& r : runs) {
    if (!r.load.open_loop) {
      out += fmt::format("{:<18} {}\n", r.executor, r.error.empty() ? "no figures" : r.error);
      continue;
    }
    const auto& o = *r.load.open_loop;
    const auto& d = o.during_long_latency;
    const auto& u = o.latency_uncorrected;
    const auto share = clients::percent(o.during_long_over_slo, o.during_long_due);
    out += fmt::format(
        "{:<18} {:>8} {:>12} {:>12} {:>11} {:>10}  {}\n", r.executor, o.during_long_due,
        clients::human_latency(d.p99, d.p99_lower_bound, !d.empty()),
        clients::human_latency(d.p999, d.p999_lower_bound, !d.empty()), share,
        clients::human_latency(u.p99, u.p99_lower_bound, !u.empty()),
        o.schedule_kept ? "kept"
                        : fmt::format("NOT KEPT (send lag p99 {})",
                                      clients::human_duration(o.send_lag.percentile(0.99))));
  }
  out += fmt::format(
      "  '> {}': share of those requests slower than --slo (or unanswered after it);\n"
      "  'uncorr p99': every small request timed from its send, as a client that waits for\n"
      "  each answer sees it; '>=': requests unanswered at the end count their wait so far\n",
      slo);
  return out;
}

}  // namespace primeloop::lab
