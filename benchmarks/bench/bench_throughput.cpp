#include "benchmarks/bench/bench_phases.hpp"

#include "clients/report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "clients/load_generator.hpp"

namespace primeloop::bench::detail {

namespace net = asio;

namespace {

net::awaitable<bench_cell> measure_throughput(std::uint16_t port, const std::string& target,
                                              unsigned connections, unsigned round,
                                              const bench_config& config) {
  bench_cell cell;
  cell.target = target;
  cell.connections = connections;
  cell.round = round;
  clients::load_config load;
  load.port = port;
  load.connections = connections;
  load.depth = config.depth;
  load.n = 1;
  load.duration_s = config.duration_s;
  load.warmup = config.warmup;
  try {
    const auto r = co_await clients::run_load(load);
    cell.rps = r.mean_rps();
    cell.mean = r.total.mean();
    cell.p50 = r.total.percentile(0.5);
    cell.p99 = r.total.percentile(0.99);
    if (r.connection_failures > 0) cell.error = r.first_failure;
    if (r.errors > 0) cell.error = fmt::format("ERR replies: {}", r.first_error_reply);
  } catch (const std::exception& e) {
    cell.error = e.what();
  }
  co_return cell;
}

}  // namespace

net::awaitable<void> throughput_phase(const bench_config& config, harness::server_child& baseline,
                                      column_servers& columns, bench_results& results,
                                      const progress_fn& progress) {
  std::vector<std::pair<std::string, harness::server_child*>> targets{{"baseline", &baseline}};
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    targets.emplace_back(config.executors[i], columns.servers[i].get());
  }
  // Rounds go over every cell in turn and each cell keeps its best round: another process
  // that takes the CPU for a moment spoils one round of one cell, not the comparison.
  for (unsigned round = 1; round <= config.rounds; ++round) {
    for (const unsigned connections : config.connection_counts) {
      for (const auto& [name, server] : targets) {
        auto cell = co_await measure_throughput(server->port(), name, connections, round, config);
        progress(fmt::format(
            "  round {} {:<16} {:>3} connections: {:>9.0f} req/s  p50 {}  p99 {}{}", cell.round,
            cell.target, cell.connections, cell.rps, clients::human_duration(cell.p50),
            clients::human_duration(cell.p99), cell.error.empty() ? "" : "  " + cell.error));
        auto& cells = results.cells;
        auto best = std::find_if(cells.begin(), cells.end(), [&](const bench_cell& c) {
          return c.target == cell.target && c.connections == cell.connections;
        });
        cell.worst_rps = cell.rps;
        if (best == cells.end()) {
          cells.push_back(std::move(cell));
        } else {
          const double worst = cell.error.empty() ? std::min(best->worst_rps, cell.rps) : 0;
          if (!best->error.empty() || (cell.error.empty() && cell.rps > best->rps)) {
            *best = std::move(cell);
          }
          best->worst_rps = worst;
        }
      }
    }
  }
}

}  // namespace primeloop::bench::detail
