// wrk, an outside HTTP load tool (Debian's wrk), against each column's GET /prime/1: its
// req/s beside the project's own client, same servers, same run. A second opinion on the
// client's figures, and the HTTP face's cost next to the line protocol's.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "benchmarks/bench/bench_phases.hpp"
#include "benchmarks/bench/bench_report.hpp"
#include "benchmarks/harness/process_probe.hpp"

namespace primeloop::bench {

std::optional<double> parse_wrk_rps(std::string_view output) {
  constexpr std::string_view key = "Requests/sec:";
  const auto at = output.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = output.substr(at + key.size());
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  double value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc{} || end == rest.data() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::string format_wrk(const std::vector<wrk_cell>& wrk, const std::vector<bench_cell>& cells) {
  const unsigned connections = wrk.empty() ? detail::wrk_connections : wrk.front().connections;
  std::string out = fmt::format(
      "wrk: an outside tool (wrk -t1 -c{0}) against GET /prime/1 on each column's HTTP face, best\n"
      "of the rounds; beside it the project's client on the line protocol, {0} connections\n",
      connections);
  out += fmt::format("{:<20} {:>12} {:>14} {:>12}\n", "column", "wrk req/s", "client req/s",
                     "wrk/client");
  for (const auto& w : wrk) {
    const auto client = std::find_if(cells.begin(), cells.end(), [&](const bench_cell& c) {
      return c.target == w.target && c.connections == w.connections && c.error.empty();
    });
    if (!w.error.empty()) {
      out += fmt::format("{:<20} {}\n", w.target, w.error);
      continue;
    }
    if (client == cells.end()) {
      out += fmt::format("{:<20} {:>12.0f} {:>14}\n", w.target, w.rps, "-");
      continue;
    }
    out += fmt::format("{:<20} {:>12.0f} {:>14.0f} {:>12.2f}\n", w.target, w.rps, client->rps,
                       client->rps > 0 ? w.rps / client->rps : 0.0);
  }
  return out;
}

namespace detail {

namespace net = asio;

net::awaitable<void> wrk_phase(const bench_config& config, column_servers& columns,
                               bench_results& results, const progress_fn& progress) {
  const auto wrk = harness::find_on_path("wrk");
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    wrk_cell cell;
    cell.target = config.executors[i];
    cell.connections = wrk_connections;
    if (wrk.empty()) cell.error = "skipped: wrk not found (Debian package wrk)";
    if (cell.error.empty() && columns.servers[i]->http_port() == 0) {
      cell.error = "skipped: this column's server has no HTTP face (--column-server)";
    }
    results.wrk.push_back(std::move(cell));
  }
  // Rounds over every column in turn, each keeping its best, as the throughput phase does.
  for (unsigned round = 1; round <= config.rounds; ++round) {
    for (std::size_t i = 0; i < config.executors.size(); ++i) {
      auto& cell = results.wrk[i];
      if (!cell.error.empty()) continue;
      const auto url = fmt::format("http://127.0.0.1:{}/prime/1", columns.servers[i]->http_port());
      std::vector<std::string> argv{wrk.string(), "-t1", fmt::format("-c{}", wrk_connections),
                                    fmt::format("-d{}s", config.duration_s), url};
      const auto run = co_await harness::run_timed(std::move(argv));
      const auto rps = parse_wrk_rps(run.output);
      if (run.exit_status != 0 || !rps ||
          run.output.find("Non-2xx or 3xx responses") != std::string::npos) {
        cell.error = fmt::format("failed: wrk exit {}: {}", run.exit_status, run.output);
        std::replace(cell.error.begin(), cell.error.end(), '\n', ' ');
        continue;
      }
      cell.worst_rps = round == 1 ? *rps : std::min(cell.worst_rps, *rps);
      cell.rps = std::max(cell.rps, *rps);
      progress(fmt::format("  round {} {:<16} wrk {:>3} connections: {:>9.0f} req/s", round,
                           cell.target, wrk_connections, *rps));
    }
  }
}

}  // namespace detail
}  // namespace primeloop::bench
