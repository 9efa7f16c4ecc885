#include "benchmarks/bench/bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <asio/this_coro.hpp>
#include <memory>

#include "benchmarks/bench/bench_phases.hpp"
#include "benchmarks/harness/server_child.hpp"

namespace primeloop::bench {

namespace net = asio;

std::string detail::base_executor(const std::string& column) {
  const auto spec = lab::parse_column(column);
  return spec ? spec->executor : column;
}

std::string_view to_string(bench_phase p) noexcept {
  return name_of(phase_names, p);
}

std::optional<bench_phase> parse_phase(std::string_view name) noexcept {
  return value_named(phase_names, name);
}

bool bench_config::runs(bench_phase p) const {
  return std::find(phases.begin(), phases.end(), p) != phases.end();
}

std::vector<std::string> bench_server_argv(const bench_config& config, const std::string& column,
                                           const std::string& workload) {
  // The lab's command line for the column, with the workload asked for.
  auto scenario = config.long_request;
  scenario.workload = workload;
  auto argv = lab::server_argv(scenario, column);
  if (const auto it = config.column_servers.find(column); it != config.column_servers.end()) {
    argv.front() = it->second.string();
  }
  if (const auto it = config.column_flags.find(column); it != config.column_flags.end()) {
    argv.insert(argv.end(), it->second.begin(), it->second.end());
  }
  // The HTTP face for wrk, on this build's server only: another build may not have it.
  if (config.runs(bench_phase::wrk) && !config.column_servers.contains(column)) {
    argv.insert(argv.end(), {"--http-port", "0"});
  }
  return argv;
}

net::awaitable<bench_results> run_bench(const bench_config& config,
                                        std::function<void(const std::string&)> progress) {
  if (!progress) progress = [](const std::string&) {};
  const auto ex = co_await net::this_coro::executor;
  std::filesystem::create_directories(config.out_dir);
  bench_results results;
  results.machine_before = harness::read_machine();

  std::unique_ptr<harness::server_child> baseline;
  detail::column_servers columns;
  if (config.runs(bench_phase::throughput)) {
    const auto log = config.out_dir / "bench-server-baseline.log";
    baseline = std::make_unique<harness::server_child>(
        ex, std::vector<std::string>{config.baseline.string(), "--port", "0"}, log.string());
    co_await baseline->wait_listening(detail::start_deadline);
  }
  if (config.runs(bench_phase::throughput) || config.runs(bench_phase::wrk) ||
      config.runs(bench_phase::long_request) || config.runs(bench_phase::fair) ||
      (config.runs(bench_phase::idle) && config.idle_connections > 0)) {
    for (const auto& column : config.executors) {
      const auto log = config.out_dir / fmt::format("bench-server-{}.log", column);
      columns.servers.push_back(std::make_unique<harness::server_child>(
          ex, bench_server_argv(config, column), log.string()));
      columns.stopped.push_back(false);
      co_await columns.servers.back()->wait_listening(detail::start_deadline);
    }
  }

  if (config.runs(bench_phase::throughput)) {
    progress("throughput: small requests (n=1), each cell's best round");
    co_await detail::throughput_phase(config, *baseline, columns, results, progress);
    co_await baseline->stop(detail::stop_grace);
  }
  if (config.runs(bench_phase::wrk)) {
    progress(fmt::format("wrk: GET /prime/1, {} connections, each column's best round",
                         detail::wrk_connections));
    co_await detail::wrk_phase(config, columns, results, progress);
  }
  // Idle connections before the long requests: those stop their servers.
  if (config.runs(bench_phase::idle) && config.idle_connections > 0) {
    progress(fmt::format("idle connections: {} per server", config.idle_connections));
    co_await detail::idle_phase(config, columns, results, progress);
  }
  if (config.runs(bench_phase::fair)) {
    progress(
        fmt::format("fairness: a fresh request for 10 behind one connection pipelining {} x {}",
                    config.fair_backlog, config.fair_n));
    co_await detail::fair_phase(config, columns, results, progress);
  }
  if (config.runs(bench_phase::long_request)) {
    progress(fmt::format("long request: naive n={} after {} s, {} connections",
                         config.long_request.long_n, config.long_request.before_s,
                         config.long_request.connections));
    co_await detail::long_phase(config, columns, results, progress);
  }
  for (std::size_t i = 0; i < columns.servers.size(); ++i) {
    if (!columns.stopped[i]) co_await columns.servers[i]->stop(detail::stop_grace);
  }
  if (config.runs(bench_phase::sieve) && config.sieve_n > 0) {
    progress(fmt::format("sieve: n={}, best of {} rounds", config.sieve_n, config.sieve_rounds));
    co_await detail::sieve_phase(config, results, progress);
  }
  if (config.runs(bench_phase::fast) && !config.fast_ns.empty()) {
    progress(fmt::format("fast: n={}, best of {} rounds", fmt::join(config.fast_ns, ", n="),
                         config.fast_rounds));
    co_await detail::fast_phase(config, results, progress);
  }
  if (config.runs(bench_phase::syscalls)) {
    progress("system calls per request: strace -c on each server");
    std::vector<syscall_target> targets{{"baseline", {config.baseline.string(), "--port", "0"}}};
    for (const auto& column : config.executors) {
      targets.push_back({column, bench_server_argv(config, column)});
    }
    syscall_config sc;
    sc.strace = harness::find_on_path("strace");
    sc.out_dir = config.out_dir;
    results.syscalls = co_await measure_syscalls(sc, targets, progress);
  }
  results.machine_after = harness::read_machine();
  co_return results;
}

}  // namespace primeloop::bench
