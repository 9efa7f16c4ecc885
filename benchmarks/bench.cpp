#include "benchmarks/bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <asio/this_coro.hpp>
#include <memory>

#include "benchmarks/server_child.hpp"
#include "clients/load_generator.hpp"
#include "clients/report.hpp"

namespace primeloop::lab {
namespace {

namespace net = asio;

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

}  // namespace

net::awaitable<std::vector<bench_cell>> run_bench(const bench_config& config,
                                                  std::function<void(const bench_cell&)> progress) {
  const auto ex = co_await net::this_coro::executor;
  std::filesystem::create_directories(config.out_dir);
  std::vector<std::unique_ptr<server_child>> servers;
  for (const auto& t : targets(config)) {
    std::vector<std::string> argv;
    if (t == "baseline") {
      argv = {config.baseline.string(), "--port", "0"};
    } else {
      argv = {config.server.string(), "--executor", t,         "--port", "0",
              "--stats-interval",     "1",          "--grace", "0"};
      if (config.workers) {
        argv.push_back("--workers");
        argv.push_back(std::to_string(*config.workers));
      }
      argv.insert(argv.end(), config.server_flags.begin(), config.server_flags.end());
    }
    const auto log = config.out_dir / fmt::format("bench-server-{}.log", t);
    servers.push_back(std::make_unique<server_child>(ex, argv, log.string()));
    co_await servers.back()->wait_listening(std::chrono::seconds{10});
  }

  std::vector<bench_cell> cells;
  const auto names = targets(config);
  // Rounds go over every cell in turn and each cell keeps its best round: another process
  // that takes the CPU for a moment spoils one round of one cell, not the comparison.
  for (unsigned round = 1; round <= config.rounds; ++round) {
    for (const unsigned connections : config.connection_counts) {
      for (std::size_t i = 0; i < names.size(); ++i) {
        bench_cell cell;
        cell.target = names[i];
        cell.connections = connections;
        cell.round = round;
        clients::load_config load;
        load.port = servers[i]->port();
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
        if (progress) progress(cell);
        auto best = std::find_if(cells.begin(), cells.end(), [&](const bench_cell& c) {
          return c.target == cell.target && c.connections == cell.connections;
        });
        if (best == cells.end()) {
          cells.push_back(std::move(cell));
        } else if (!best->error.empty() || (cell.error.empty() && cell.rps > best->rps)) {
          *best = std::move(cell);
        }
      }
    }
  }
  for (auto& s : servers) co_await s->stop(std::chrono::seconds{3});
  co_return cells;
}

std::string format_bench(const std::vector<bench_cell>& cells, const bench_config& config) {
  const auto names = targets(config);
  std::string out = fmt::format(
      "small requests (n=1), depth {}, {} s per cell after {} ms warm-up, best of {} rounds; "
      "req/s and ratio of the baseline measured in this run\n{:>11}",
      config.depth, config.duration_s, config.warmup.count(), config.rounds, "connections");
  for (const auto& n : names) out += fmt::format("{:>20}", n);
  out += "\n";
  for (const unsigned connections : config.connection_counts) {
    out += fmt::format("{:>11}", connections);
    for (const auto& n : names) {
      const auto* c = find(cells, n, connections);
      if (!c) {
        out += fmt::format("{:>20}", "failed");
        continue;
      }
      const auto r = ratio(cells, *c);
      out += fmt::format("{:>20}",
                         fmt::format("{:.0f} {}", c->rps, r ? fmt::format("{:.2f}", *r) : "-"));
    }
    out += "\n";
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
    out += fmt::format("  {:<10} {:>9}", n, clients::human_duration(c->mean));
    if (in && n != "inline" && n != "baseline") {
      out += fmt::format("   {:+.1f} us over inline",
                         static_cast<double>((c->mean - in->mean).count()) / 1e3);
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
      "p99_us,error\n";
  const auto us = [](std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e3; };
  for (const auto& c : cells) {
    const auto r = ratio(cells, c);
    out +=
        fmt::format("{},{},{},{},{:.1f},{},{:.1f},{:.1f},{:.1f},\"{}\"\n", c.target, c.connections,
                    config.depth, config.duration_s, c.rps, r ? fmt::format("{:.4f}", *r) : "",
                    us(c.mean), us(c.p50), us(c.p99), c.error);
  }
  return out;
}

}  // namespace primeloop::lab
