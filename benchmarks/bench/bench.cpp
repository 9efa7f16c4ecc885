#include "benchmarks/bench/bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "benchmarks/harness/server_child.hpp"
#include "clients/load_generator.hpp"
#include "clients/one_shot.hpp"

namespace primeloop::lab {
namespace {

namespace net = asio;
using clock = std::chrono::steady_clock;
constexpr std::chrono::seconds start_deadline{10};
/// SIGTERM to SIGKILL: an inline server computing the long request cannot answer SIGTERM.
constexpr std::chrono::seconds stop_grace{2};

std::string us(std::chrono::nanoseconds d) {
  return fmt::format("{:.1f} us", static_cast<double>(d.count()) / 1e3);
}

/// The primeloop-server children, one per column, started once for every phase that needs them.
struct column_servers {
  std::vector<std::unique_ptr<server_child>> servers;  // in column order
  std::vector<bool> stopped;
};

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

net::awaitable<void> throughput_phase(const bench_config& config, server_child& baseline,
                                      column_servers& columns, bench_results& results,
                                      const std::function<void(const std::string&)>& progress) {
  std::vector<std::pair<std::string, server_child*>> targets{{"baseline", &baseline}};
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    targets.emplace_back(config.executors[i], columns.servers[i].get());
  }
  // Rounds go over every cell in turn and each cell keeps its best round: another process
  // that takes the CPU for a moment spoils one round of one cell, not the comparison.
  for (unsigned round = 1; round <= config.rounds; ++round) {
    for (const unsigned connections : config.connection_counts) {
      for (const auto& [name, server] : targets) {
        auto cell = co_await measure_throughput(server->port(), name, connections, round, config);
        progress(
            fmt::format("  round {} {:<16} {:>3} connections: {:>9.0f} req/s  p50 {}  p99 {}{}",
                        cell.round, cell.target, cell.connections, cell.rps, us(cell.p50),
                        us(cell.p99), cell.error.empty() ? "" : "  " + cell.error));
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

net::awaitable<void> idle_phase(const bench_config& config, column_servers& columns,
                                bench_results& results,
                                const std::function<void(const std::string&)>& progress) {
  const auto limit = raise_open_file_limit();
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    auto& server = *columns.servers[i];
    idle_cell cell;
    // The connections, the servers' pipes and the load client's sockets all need descriptors.
    if (limit < config.idle_connections + 64) {
      cell.requested = config.idle_connections;
      cell.error = fmt::format("open file limit {} too low for {} connections (ulimit -n)", limit,
                               config.idle_connections);
    } else {
      cell = co_await measure_idle_connections(server.port(), server.pid(), config.idle_connections,
                                               std::chrono::seconds{60});
    }
    cell.target = config.executors[i];
    progress(fmt::format(
        "  {:<16} {} idle connections: server VmRSS {:.1f} MiB (before {:.1f} MiB), {} fds, "
        "group {:.1f} MiB{}",
        cell.target, cell.opened, static_cast<double>(cell.rss_kib) / 1024,
        static_cast<double>(cell.rss_before_kib) / 1024, cell.server_fds,
        static_cast<double>(cell.group_rss_kib) / 1024,
        cell.error.empty() ? "" : "  " + cell.error));
    results.idle.push_back(std::move(cell));
  }
}

/// Reads one line from s (the caller's buffer keeps what follows it).
net::awaitable<std::string> read_line(net::ip::tcp::socket& s, std::string& buffer) {
  const auto n =
      co_await net::async_read_until(s, net::dynamic_buffer(buffer), '\n', net::use_awaitable);
  std::string line = buffer.substr(0, n - 1);
  buffer.erase(0, n);
  co_return line;
}

/// One connection pipelines config.fair_backlog costly requests; once its first answer shows
/// the backlog is being computed, a fresh connection asks for 10 and times its answer. A timer
/// closes both sockets after 60 s, so a server that never answers ends the measurement.
net::awaitable<fairness_cell> measure_fairness(std::uint16_t port, const bench_config& config) {
  fairness_cell cell;
  const auto ex = co_await net::this_coro::executor;
  const net::ip::tcp::endpoint at(net::ip::address_v4::loopback(), port);
  net::ip::tcp::socket backlog(ex), fresh(ex);
  net::steady_timer deadline(ex);
  deadline.expires_after(std::chrono::seconds{60});
  deadline.async_wait([&](std::error_code ec) {
    if (ec) return;
    std::error_code ignored;
    backlog.close(ignored);
    fresh.close(ignored);
  });
  try {
    co_await backlog.async_connect(at, net::use_awaitable);
    std::string requests;
    for (unsigned i = 0; i < config.fair_backlog; ++i)
      requests += fmt::format("{}\n", config.fair_n);
    const auto start = clock::now();
    co_await net::async_write(backlog, net::buffer(requests), net::use_awaitable);
    std::string backlog_buffer, fresh_buffer;
    (void)co_await read_line(backlog, backlog_buffer);
    cell.first_answer = clock::now() - start;
    co_await fresh.async_connect(at, net::use_awaitable);
    const auto asked = clock::now();
    co_await net::async_write(fresh, net::buffer(std::string_view("10\n")), net::use_awaitable);
    const auto answer = co_await read_line(fresh, fresh_buffer);
    if (answer == "29") {
      cell.fresh_wait = clock::now() - asked;
    } else {
      cell.error = fmt::format("the fresh request got '{}'", answer);
    }
  } catch (const std::system_error& e) {
    cell.error = e.code() == net::error::operation_aborted || e.code() == net::error::bad_descriptor
                     ? "no answer within 60 s"
                     : e.code().message();
  }
  deadline.cancel();
  // Closing the backlog's connection ends its work: the server cancels what a gone client asked.
  std::error_code ignored;
  backlog.close(ignored);
  fresh.close(ignored);
  co_return cell;
}

net::awaitable<void> fair_phase(const bench_config& config, column_servers& columns,
                                bench_results& results,
                                const std::function<void(const std::string&)>& progress) {
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    auto cell = co_await measure_fairness(columns.servers[i]->port(), config);
    cell.target = config.executors[i];
    progress(fmt::format("  {:<16} fresh request answered after {} (one computation: {}){}",
                         cell.target, cell.fresh_wait ? us(*cell.fresh_wait) : "-",
                         us(cell.first_answer), cell.error.empty() ? "" : "  " + cell.error));
    results.fairness.push_back(std::move(cell));
  }
}

net::awaitable<void> long_phase(const bench_config& config, column_servers& columns,
                                bench_results& results,
                                const std::function<void(const std::string&)>& progress) {
  // summarize() takes the lab's scenario: the same seconds, the same rules for lower bounds.
  lab_config scenario;
  scenario.before_s = config.before_s;
  scenario.during_s = config.during_s;
  scenario.connections = config.long_connections;
  scenario.depth = config.depth;
  scenario.long_n = config.long_n;
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
    try {
      run.load = co_await clients::run_load(load);
    } catch (const std::exception& e) {
      run.error = e.what();
    }
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

void keep_best(std::optional<timing>& best, const timing& t) {
  if (!best) best = t;
  best->wall = std::min(best->wall, t.wall);
  best->cpu = std::min(best->cpu, t.cpu);
}

double secs(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e9;
}

/// Runs primesieve for race.n once, checks it agrees with the server and keeps its best times.
/// Returns the progress text. (Not in the coroutine: GCC 12 mis-compiles initializer lists in
/// coroutine frames.)
std::string run_primesieve(const bench_config& config, sieve_race& race, bool one_thread) {
  std::vector<std::string> cmd{config.primesieve.string(), "-n", std::to_string(race.n), "-q"};
  if (one_thread) cmd.push_back("-t1");
  const auto run = run_timed(cmd);
  if (run.exit_status != 0) {
    throw std::runtime_error(
        fmt::format("'{}' exited with {}", fmt::join(cmd, " "), run.exit_status));
  }
  const auto answer = run.output.substr(0, run.output.find_first_of("\r\n"));
  if (answer != race.answer) {
    throw std::runtime_error(
        fmt::format("the server answered {} and primesieve {}", race.answer, answer));
  }
  keep_best(one_thread ? race.primesieve_one : race.primesieve_all, run.time);
  return fmt::format(", primesieve{} {:.3f} s wall {:.3f} s CPU", one_thread ? " -t1" : "",
                     secs(run.time.wall), secs(run.time.cpu));
}

net::awaitable<void> sieve_phase(const bench_config& config, bench_results& results,
                                 const std::function<void(const std::string&)>& progress) {
  sieve_race race;
  race.n = config.sieve_n;
  race.executor = config.sieve_executor;
  if (config.primesieve.empty()) {
    race.skipped = "primesieve not found on PATH (Debian: apt install primesieve-bin)";
  }
  auto argv = bench_server_argv(config, config.sieve_executor, "sieve");
  // The server's own limit is 10^8 (its default): a bigger n has to be allowed explicitly.
  if (config.sieve_n > 100'000'000) {
    argv.push_back("--max-n");
    argv.push_back(std::to_string(config.sieve_n));
  }
  server_child server(co_await net::this_coro::executor, argv,
                      (config.out_dir / "bench-server-sieve.log").string());
  co_await server.wait_listening(start_deadline);
  const auto n = std::to_string(config.sieve_n);
  clients::one_shot_config ask;
  ask.port = server.port();
  ask.timeout = std::chrono::minutes{5};
  try {
    for (unsigned round = 1; round <= config.sieve_rounds; ++round) {
      // The server's CPU time over the request: its loop and the thread that computed.
      const auto cpu_before = process_cpu_time(server.pid());
      const auto start = clock::now();
      const auto replies = co_await clients::ask(ask, std::vector<std::string>(1, n));
      const timing t{clock::now() - start,
                     process_cpu_time(server.pid()).value_or(std::chrono::nanoseconds{0}) -
                         cpu_before.value_or(std::chrono::nanoseconds{0})};
      race.answer = replies.at(0);
      keep_best(race.server, t);
      std::string line =
          fmt::format("  round {} sieve n={}: server ({}) {:.3f} s wall {:.3f} s CPU", round, n,
                      config.sieve_executor, secs(t.wall), secs(t.cpu));
      if (race.skipped.empty()) {
        line += run_primesieve(config, race, true);
        line += run_primesieve(config, race, false);
      }
      progress(line);
    }
  } catch (const std::exception& e) {
    race.error = e.what();
    progress(fmt::format("  sieve failed: {}", race.error));
  }
  co_await server.stop(stop_grace);
  results.sieve = std::move(race);
}

}  // namespace

std::string_view to_string(bench_phase p) noexcept {
  switch (p) {
    case bench_phase::throughput:
      return "throughput";
    case bench_phase::long_request:
      return "long";
    case bench_phase::idle:
      return "idle";
    case bench_phase::fair:
      return "fair";
    case bench_phase::syscalls:
      return "syscalls";
    case bench_phase::sieve:
      return "sieve";
  }
  return "?";
}

std::optional<bench_phase> parse_phase(std::string_view name) noexcept {
  for (const auto p : {bench_phase::throughput, bench_phase::long_request, bench_phase::idle,
                       bench_phase::fair, bench_phase::sieve, bench_phase::syscalls}) {
    if (to_string(p) == name) return p;
  }
  return std::nullopt;
}

bool bench_config::runs(bench_phase p) const {
  return std::find(phases.begin(), phases.end(), p) != phases.end();
}

std::vector<std::string> bench_server_argv(const bench_config& config, const std::string& column,
                                           const std::string& workload) {
  lab_config lab;
  lab.server = config.server;
  lab.workload = workload;
  lab.workers = config.workers;
  lab.server_flags = config.server_flags;
  auto argv = server_argv(lab, column);
  if (const auto it = config.column_servers.find(column); it != config.column_servers.end()) {
    argv.front() = it->second.string();
  }
  if (const auto it = config.column_flags.find(column); it != config.column_flags.end()) {
    argv.insert(argv.end(), it->second.begin(), it->second.end());
  }
  return argv;
}

net::awaitable<bench_results> run_bench(const bench_config& config,
                                        std::function<void(const std::string&)> progress) {
  if (!progress) progress = [](const std::string&) {};
  const auto ex = co_await net::this_coro::executor;
  std::filesystem::create_directories(config.out_dir);
  bench_results results;
  results.machine_before = read_machine();

  std::unique_ptr<server_child> baseline;
  column_servers columns;
  if (config.runs(bench_phase::throughput)) {
    const auto log = config.out_dir / "bench-server-baseline.log";
    baseline = std::make_unique<server_child>(
        ex, std::vector<std::string>{config.baseline.string(), "--port", "0"}, log.string());
    co_await baseline->wait_listening(start_deadline);
  }
  if (config.runs(bench_phase::throughput) || config.runs(bench_phase::long_request) ||
      config.runs(bench_phase::fair) ||
      (config.runs(bench_phase::idle) && config.idle_connections > 0)) {
    for (const auto& column : config.executors) {
      const auto log = config.out_dir / fmt::format("bench-server-{}.log", column);
      columns.servers.push_back(
          std::make_unique<server_child>(ex, bench_server_argv(config, column), log.string()));
      columns.stopped.push_back(false);
      co_await columns.servers.back()->wait_listening(start_deadline);
    }
  }

  if (config.runs(bench_phase::throughput)) {
    progress("throughput: small requests (n=1), each cell's best round");
    co_await throughput_phase(config, *baseline, columns, results, progress);
    co_await baseline->stop(stop_grace);
  }
  // Idle connections before the long requests: those stop their servers.
  if (config.runs(bench_phase::idle) && config.idle_connections > 0) {
    progress(fmt::format("idle connections: {} per server", config.idle_connections));
    co_await idle_phase(config, columns, results, progress);
  }
  if (config.runs(bench_phase::fair)) {
    progress(
        fmt::format("fairness: a fresh request for 10 behind one connection pipelining {} x {}",
                    config.fair_backlog, config.fair_n));
    co_await fair_phase(config, columns, results, progress);
  }
  if (config.runs(bench_phase::long_request)) {
    progress(fmt::format("long request: naive n={} after {} s, {} connections", config.long_n,
                         config.before_s, config.long_connections));
    co_await long_phase(config, columns, results, progress);
  }
  for (std::size_t i = 0; i < columns.servers.size(); ++i) {
    if (!columns.stopped[i]) co_await columns.servers[i]->stop(stop_grace);
  }
  if (config.runs(bench_phase::sieve) && config.sieve_n > 0) {
    progress(fmt::format("sieve: n={}, best of {} rounds", config.sieve_n, config.sieve_rounds));
    co_await sieve_phase(config, results, progress);
  }
  if (config.runs(bench_phase::syscalls)) {
    progress("system calls per request: strace -c on each server");
    std::vector<syscall_target> targets{{"baseline", {config.baseline.string(), "--port", "0"}}};
    for (const auto& column : config.executors) {
      targets.push_back({column, bench_server_argv(config, column)});
    }
    syscall_config sc;
    sc.strace = find_on_path("strace");
    sc.out_dir = config.out_dir;
    results.syscalls = co_await measure_syscalls(sc, targets, progress);
  }
  results.machine_after = read_machine();
  co_return results;
}

}  // namespace primeloop::lab
