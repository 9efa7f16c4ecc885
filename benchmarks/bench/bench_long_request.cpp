#include <fmt/format.h>

#include "benchmarks/bench/bench_phases.hpp"
#include "benchmarks/lab/lab_report.hpp"
#include "clients/report.hpp"

namespace primeloop::bench {
namespace detail {

namespace net = asio;

namespace {

constexpr double retention_target = 0.8;
constexpr std::chrono::nanoseconds p99_target = std::chrono::milliseconds{2};

}  // namespace

net::awaitable<void> long_phase(const bench_config& config, column_servers& columns,
                                bench_results& results, const progress_fn& progress) {
  const auto& scenario = config.long_request;
  results.long_standin = scenario.standin;
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    // The lab's run, on the server the other phases used; it stops the server, and the long
    // computation with it, so that it takes no CPU from the next column.
    const auto run = co_await lab::run_scenario(*columns.servers[i], scenario, config.executors[i]);
    columns.stopped[i] = true;
    auto s = lab::summarize(run, scenario);
    progress(fmt::format(
        "  {:<16} long request n={}: before {:.0f} req/s, during {:.0f} req/s, retention {}, "
        "p50 {}, p99 {}",
        s.executor, scenario.long_n, s.before_rps, s.during_rps,
        s.retention ? fmt::format("{:.2f}", *s.retention) : "-",
        clients::human_latency(s.p50, s.p50_lower_bound),
        clients::human_latency(s.p99, s.p99_lower_bound)));
    results.long_runs.push_back(std::move(s));
  }
}

void long_targets(const bench_results& results, std::vector<target_check>& out) {
  for (const auto& row : results.long_runs) {
    const auto executor = base_executor(row.executor);
    const bool failed = row.failed;
    target_check retention{fmt::format("retention {} during a long request", row.executor),
                           fmt::format(">= {:.2f}", retention_target),
                           row.retention ? fmt::format("{:.2f}", *row.retention) : "failed",
                           std::nullopt};
    if (executor == "inline") {
      retention.target = "none: 0 by design";
    } else {
      retention.met = !failed && row.retention && *row.retention >= retention_target;
    }
    out.push_back(std::move(retention));
    if (executor == "inline") continue;
    out.push_back(
        {fmt::format("p99 latency {} during a long request", row.executor),
         "<= " + clients::human_duration(p99_target),
         clients::human_latency(row.p99, row.p99_lower_bound),
         !failed && row.during_answered > 0 && !row.p99_lower_bound && row.p99 <= p99_target});
  }
}

void long_figures(const bench_results& results, const figure_fn& add) {
  if (results.long_standin) {
    add("long", "all", "before_load_standin", *results.long_standin ? 1 : 0, "bool");
  }
  for (const auto& r : results.long_runs) {
    add("long", r.executor, "before_rps", r.before_rps, "req/s");
    add("long", r.executor, "during_rps", r.during_rps, "req/s");
    if (r.retention) add("long", r.executor, "retention", *r.retention, "ratio");
    add("long", r.executor, "p50_during", us(r.p50), r.p50_lower_bound ? "us_at_least" : "us");
    add("long", r.executor, "p99_during", us(r.p99), r.p99_lower_bound ? "us_at_least" : "us");
    add("long", r.executor, "max_during", us(r.max), r.max_lower_bound ? "us_at_least" : "us");
  }
}

}  // namespace detail

using namespace detail;

std::string format_long_runs(const std::vector<lab::executor_summary>& rows,
                             const bench_config& bench) {
  const auto& config = bench.long_request;
  // The phases and what ran beside the server before the long request, as the lab says them.
  std::string out = fmt::format(
      "long request: naive n={} on one more connection after {} s, {} small-request connections "
      "x depth {}\n{}",
      config.long_n, config.before_s, config.connections, config.depth,
      lab::describe_phases(config));
  out += fmt::format("{:<16} {:>12} {:>12} {:>9} {:>12} {:>12} {:>12}  server\n", "column",
                     "before req/s", "during req/s", "retention", "p50 during", "p99 during",
                     "max during");
  for (const auto& r : rows) {
    out += fmt::format("{:<16} {:>12.0f} {:>12.0f} {:>9} {:>12} {:>12} {:>12}  {}\n", r.executor,
                       r.before_rps, r.during_rps,
                       r.retention ? fmt::format("{:.2f}", *r.retention) : "-",
                       clients::human_latency(r.p50, r.p50_lower_bound),
                       clients::human_latency(r.p99, r.p99_lower_bound),
                       clients::human_latency(r.max, r.max_lower_bound), r.server_end);
  }
  return out;
}

}  // namespace primeloop::bench
