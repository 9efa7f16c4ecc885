#include "benchmarks/bench/bench_phases.hpp"

#include "clients/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "clients/load_generator.hpp"

namespace primeloop::bench {
namespace detail {

namespace net = asio;

namespace {

/// The targets for a column's throughput, as a ratio of the baseline: the pools pay a hand-off
/// per request unless cheap work stays on the loop ('+adaptive'), which should then be as cheap
/// as inline's.
double throughput_target(const std::string& column) {
  const auto executor = base_executor(column);
  if (executor == "inline") return 0.95;
  if (column.find("+adaptive") != std::string::npos) return 0.9;
  return executor == "threads" ? 0.7 : 0.6;
}

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

const bench_cell* find(const std::vector<bench_cell>& cells, const std::string& target,
                       unsigned connections) {
  for (const auto& c : cells) {
    if (c.target == target && c.connections == connections && c.error.empty()) return &c;
  }
  return nullptr;
}

std::optional<double> ratio(const std::vector<bench_cell>& cells, const bench_cell& c) {
  const auto* base = find(cells, "baseline", c.connections);
  if (!base || base->rps <= 0 || !c.error.empty()) return std::nullopt;
  return c.rps / base->rps;
}

std::vector<std::string> targets(const bench_config& config) {
  std::vector<std::string> t{"baseline"};
  t.insert(t.end(), config.executors.begin(), config.executors.end());
  return t;
}

std::string connections_label(unsigned connections) {
  // One ping-pong connection: each request waits for the client and the server to wake each
  // other up, so the figure measures the CPU's wake-up latency more than the server.
  return connections == 1 ? "1 (wake-up bound)" : std::to_string(connections);
}

/// A table of the throughput section after its corner: the target names, then a row per
/// connection count with `cell(c)` under each target (c null where that cell failed).
template <class Cell>
std::string by_connections(const std::vector<bench_cell>& cells, const bench_config& config,
                           const std::vector<std::string>& names, Cell cell) {
  std::string out;
  for (const auto& n : names) out += fmt::format("{:>20}", n);
  out += "\n";
  for (const unsigned connections : config.connection_counts) {
    out += fmt::format("{:>18}", connections_label(connections));
    for (const auto& n : names) out += fmt::format("{:>20}", cell(find(cells, n, connections)));
    out += "\n";
  }
  return out;
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

void throughput_targets(const bench_results& results, const bench_config& config,
                        std::vector<target_check>& out) {
  for (const auto& column : config.executors) {
    const double target = throughput_target(column);
    for (const unsigned connections : config.connection_counts) {
      if (connections == 1) continue;  // wake-up bound: no target
      auto it = std::find_if(results.cells.begin(), results.cells.end(), [&](const bench_cell& c) {
        return c.target == column && c.connections == connections;
      });
      if (it == results.cells.end()) continue;
      target_check t{fmt::format("throughput {} / baseline, {} connections", column, connections),
                     fmt::format(">= {:.2f}", target), "", false};
      if (const auto r = ratio(results.cells, *it)) {
        t.measured = fmt::format("{:.3f}", *r);
        t.met = *r >= target;
      } else {
        t.measured = it->error.empty() ? "failed: no baseline" : "failed: " + it->error;
      }
      out.push_back(std::move(t));
    }
  }
}

}  // namespace detail

using namespace detail;

std::string format_throughput(const std::vector<bench_cell>& cells, const bench_config& config) {
  const auto names = targets(config);
  std::string out = fmt::format(
      "throughput: small requests (n=1), depth {}, {} s per cell after {} ms warm-up, best of {} "
      "rounds;\n  req/s and ratio of the baseline measured in this run\n{:>18}",
      config.depth, config.duration_s, config.warmup.count(), config.rounds, "connections");
  out += by_connections(cells, config, names, [&](const bench_cell* c) {
    if (!c) return std::string("failed");
    const auto r = ratio(cells, *c);
    return fmt::format("{:.0f} {}", c->rps, r ? fmt::format("{:.2f}", *r) : "-");
  });
  if (config.rounds > 1) {
    // Two cores shared with the load client: where the scheduler puts the client and the
    // server (one core or two) moves req/s by up to 2x from one round to the next.
    out += fmt::format("round-to-round spread (worst round / best round):\n{:>18}", "");
    out += by_connections(cells, config, names, [](const bench_cell* c) {
      return c && c->rps > 0 ? fmt::format("{:.2f}", c->worst_rps / c->rps) : std::string("-");
    });
  }
  // One connection, depth 1: every request is one round trip; the difference between an
  // executor's mean latency and inline's is what handing the work off and back costs.
  const unsigned one = config.connection_counts.empty() ? 1 : config.connection_counts.front();
  const auto* in = find(cells, "inline", one);
  out += fmt::format("offload round trip ({} connection{}, depth {}; mean latency per request):\n",
                     one, one == 1 ? "" : "s", config.depth);
  for (const auto& n : names) {
    const auto* c = find(cells, n, one);
    if (!c) continue;
    // To the tenth of a microsecond, as the differences beside it: "65.3 us", "+9.3 us".
    out +=
        fmt::format("  {:<16} {:>9}", n,
                    c->mean < std::chrono::milliseconds{1} ? fmt::format("{:.1f} us", us(c->mean))
                                                           : clients::human_duration(c->mean));
    if (in && n != "inline" && n != "baseline") {
      // The rounds' spread of throughput (worst against best) bounds how far a mean latency
      // moved between rounds; a difference inside that is noise, whatever its sign.
      const auto spread = [](const bench_cell& cell) {
        return cell.rps > 0 ? 1.0 - cell.worst_rps / cell.rps : 1.0;
      };
      const double diff = us(c->mean - in->mean);
      const double noise = us(c->mean) * spread(*c) + us(in->mean) * spread(*in);
      if (diff > noise) {
        out += fmt::format("   {:+.1f} us over inline", diff);
      } else {
        out += fmt::format("   within noise of inline ({:+.1f} us, rounds differ by {:.1f} us)",
                           diff, noise);
      }
    }
    out += "\n";
  }
  for (const auto& c : cells) {
    if (!c.error.empty()) {
      out += fmt::format("  {} at {} connections failed: {}\n", c.target, c.connections, c.error);
    }
  }
  return out;
}

std::string bench_csv(const std::vector<bench_cell>& cells, const bench_config& config) {
  std::string out =
      "target,connections,depth,duration_s,rounds,best_round,rps,ratio_to_baseline,mean_us,p50_us,"
      "p99_us,worst_round_rps,error\n";
  for (const auto& c : cells) {
    const auto r = ratio(cells, c);
    out += fmt::format("{},{},{},{},{},{},{:.1f},{},{:.1f},{:.1f},{:.1f},{:.1f},{}\n", c.target,
                       c.connections, config.depth, config.duration_s, config.rounds, c.round,
                       c.rps, r ? fmt::format("{:.4f}", *r) : "", us(c.mean), us(c.p50), us(c.p99),
                       c.worst_rps, csv_field(c.error));
  }
  return out;
}

}  // namespace primeloop::bench
