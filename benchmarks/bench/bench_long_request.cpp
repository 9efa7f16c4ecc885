#include "benchmarks/bench/bench_phases.hpp"

#include <fmt/format.h>

#include <optional>

#include "benchmarks/harness/busy_core.hpp"
#include "clients/load_generator.hpp"

namespace primeloop::lab::detail {

namespace net = asio;

net::awaitable<void> long_phase(const bench_config& config, column_servers& columns,
                                bench_results& results, const progress_fn& progress) {
  // summarize() takes the lab's scenario: the same seconds, the same rules for lower bounds.
  const lab_config scenario{.before_s = config.before_s,
                            .during_s = config.during_s,
                            .long_n = config.long_n,
                            .connections = config.long_connections,
                            .depth = config.depth};
  results.long_standin = config.standin;
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    auto& server = *columns.servers[i];
    executor_run run;
    run.executor = config.executors[i];
    run.listening_line = server.first_line();
    clients::load_config load;
    load.port = server.port();
    load.connections = config.long_connections;
    load.depth = config.depth;
    load.n = 1;
    load.duration_s = config.before_s + config.during_s;
    load.warmup = config.warmup;
    load.long_n = config.long_n;
    load.long_after = std::chrono::seconds{config.before_s};
    // The lab's rule for a fair "before": one core busy, as it will be with the long computation.
    std::optional<busy_core> standin;
    try {
      if (config.standin) {
        standin.emplace(long_computation_nice(bench_server_argv(config, run.executor)));
      }
      run.load = co_await clients::run_load(load, [&](const clients::second_sample& s) {
        if (s.second == config.before_s && standin) standin->stop();
      });
    } catch (const std::exception& e) {
      run.error = e.what();
    }
    standin.reset();
    // The long computation goes with its server, so that it takes no CPU from the next column.
    run.stopped = co_await server.stop(stop_grace);
    columns.stopped[i] = true;
    auto s = summarize(run, scenario);
    progress(fmt::format(
        "  {:<16} long request n={}: before {:.0f} req/s, during {:.0f} req/s, retention {}, "
        "p50 {}{}, p99 {}{}",
        s.executor, config.long_n, s.before_rps, s.during_rps,
        s.retention ? fmt::format("{:.2f}", *s.retention) : "-", s.p50_lower_bound ? ">= " : "",
        us(s.p50), s.p99_lower_bound ? ">= " : "", us(s.p99)));
    results.long_runs.push_back(std::move(s));
  }
}

}  // namespace primeloop::lab::detail
