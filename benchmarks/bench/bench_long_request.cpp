#include <fmt/format.h>

#include "benchmarks/bench/bench_phases.hpp"
#include "clients/report.hpp"

namespace primeloop::bench::detail {

namespace net = asio;

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

}  // namespace primeloop::bench::detail
