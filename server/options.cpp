#include "server/options.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include "executors/adaptive_executor.hpp"

#include "cli/cli.hpp"
#include "cli/validators.hpp"

namespace primeloop {

namespace {

using cli::milliseconds_of;

std::size_t cores() noexcept {
  return std::max(1U, std::thread::hardware_concurrency());
}

/// How many processes this user may still have, or SIZE_MAX when unlimited.
std::size_t process_limit() noexcept {
  rlimit lim{};
  if (getrlimit(RLIMIT_NPROC, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  return static_cast<std::size_t>(lim.rlim_cur);
}

/// Refuses a worker count the machine cannot hold: thousands of processes fork slowly, crowd
/// the process table and never reach the listening line.
void check_workers(executor_kind k, std::size_t workers) {
  const std::size_t most = max_workers(k);
  if (workers <= most) return;
  const auto what = fmt::format("--executor={}", to_string(k));
  if (k == executor_kind::processes && most < 8 * cores()) {
    throw cli::usage_error("--workers", std::to_string(workers),
                           fmt::format("must be at most {} with {} (ulimit -u allows {})", most,
                                       what, process_limit()));
  }
  throw cli::usage_error(
      "--workers", std::to_string(workers),
      fmt::format("must be at most {} with {} ({} per core, {} cores; 0: one per core)", most, what,
                  most / cores(), cores()));
}

}  // namespace

std::size_t max_workers(executor_kind k) noexcept {
  switch (k) {
    case executor_kind::inline_:
      return SIZE_MAX;  // --workers means nothing to it
    case executor_kind::threads:
      return 64 * cores();
    case executor_kind::processes: {
      // Leave half the user's process limit to everything else they run.
      const std::size_t limit = process_limit();
      return std::min(8 * cores(), limit == SIZE_MAX ? SIZE_MAX : limit / 2);
    }
  }
  return 0;
}

parsed_options parse_server_options(int argc, const char* const* argv) {
  server_options o;
  CLI::App app{
      "Answers \"the nth prime\" over TCP from one event loop. Protocol: send n (1-based) and "
      "a newline, read the prime and a newline. SIGINT, SIGTERM or SIGHUP (Ctrl-C, a closed "
      "terminal) drains and stops it; SIGUSR1 is ignored."};
  cli::setup(app, "primeloop-server");
  double stats = 1.0, idle = 60.0, line = 10.0, grace = 2.0, timeout = 0.0, switch_interval = 0.005;
  double drain_delay = 0.0;
  constexpr std::int64_t big = std::int64_t{1} << 24;

  cli::add_enum_option(app, "--executor", o.executor, executor_names, "executor",
                       "Where computations run");
  app.add_option(cli::flag("--bind"), o.bind, "Address to listen on")->capture_default_str();
  app.add_option(cli::flag("--port"), o.port, "Port to listen on (0: any free port)")
      ->check(cli::range(0, 65535, "0: any free port"))
      ->capture_default_str();
  app.add_option("--http-port", o.http_port,
                 "Also serve HTTP/1.1 on this port, on the same loop: GET /prime/N, /healthz, "
                 "/readyz, /metrics (0: any free port; default: off)")
      ->check(cli::range(0, 65535, "0: any free port"));
  app.add_option(cli::flag("--workers"), o.pool.workers,
                 "Pool size for threads/processes (0: one per core)")
      ->check(cli::range(0, big))
      ->capture_default_str();
  cli::add_enum_option(
      app, "--workload", o.pool.work, workload_names, "workload",
      "Algorithm: naive (the lesson's, slow), trial, sieve, fast (prime counting)");
  app.add_option("--stats-interval", stats, "Seconds between stats lines (0: none)")
      ->check(cli::seconds(0, cli::max_seconds, "0: no stats lines"))
      ->capture_default_str();
  auto* max_n = app.add_option("--max-n", o.max_n,
                               "Largest n accepted: up to 1000000000000; with --workload fast "
                               "10000000000000 by default, up to 216289611853439384 "
                               "(docs/protocol.md, \"Which workload for large n\")")
                    ->check(cli::range_u64(1, 216'289'611'853'439'384))
                    ->capture_default_str();
  app.add_option("--max-line", o.max_line, "Longest request line in bytes")
      ->check(cli::range(8, std::int64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--max-pipeline", o.max_pipeline,
                 "Unanswered requests per connection before it stops reading")
      ->check(cli::range(1, std::int64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--max-pipeline-bytes", o.max_pipeline_bytes,
                 "Bytes of finished replies waiting for a client before its connection stops "
                 "reading (a client that pipelines large pages and never reads holds no more)")
      ->check(cli::range(1024, std::int64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--queue-limit", o.pool.queue_limit,
                 "Requests waiting for a worker before new ones get ERR busy")
      ->check(cli::range(1, big))
      ->capture_default_str();
  app.add_option("--max-connections", o.max_connections,
                 "Open connections before new ones get ERR too many connections")
      ->check(cli::range(1, big))
      ->capture_default_str();
  app.add_option("--send-buffer", o.send_buffer,
                 "Kernel send buffer per connection in bytes: bounds the replies a client that "
                 "does not read can leave behind (0: the kernel's automatic sizing)")
      ->check(cli::range(0, std::int64_t{1} << 26))
      ->capture_default_str();
  app.add_option("--idle-timeout", idle,
                 "Seconds a connection may go with nothing received, nothing delivered and "
                 "nothing computing before it is closed (0: never)")
      ->check(cli::seconds(0, cli::max_seconds, "0: never"))
      ->capture_default_str();
  app.add_option("--line-timeout", line,
                 "Seconds a started line may take to reach its newline before ERR line timeout "
                 "and close: a client sending a byte now and then cannot hold a connection "
                 "(0: never)")
      ->check(cli::seconds(0, cli::max_seconds, "0: never"))
      ->capture_default_str();
  app.add_option("--request-timeout", timeout,
                 "Seconds a computation may run before ERR timeout (0: no limit)")
      ->check(cli::seconds(0, cli::max_seconds, "0: no limit"))
      ->capture_default_str();
  app.add_option("--grace", grace,
                 "Seconds in-flight work may finish once the listeners close (after --drain-delay)")
      ->check(cli::seconds())
      ->capture_default_str();
  app.add_option("--drain-delay", drain_delay,
                 "Seconds after SIGINT/SIGTERM during which /readyz answers 503 and the "
                 "listeners still accept, so a load balancer can take the server out first; "
                 "then the listeners close and --grace begins")
      ->check(cli::seconds(0, cli::max_seconds))
      ->capture_default_str();
  app.add_option("--worker-nice", o.pool.worker_nice,
                 "Niceness of costly computations (0-19): the loop and small requests win "
                 "the CPU from a long one")
      ->check(cli::range(0, 19))
      ->capture_default_str();
  o.pool.offload_above = executors::default_offload_above;
  app.add_option("--offload-above", o.pool.offload_above,
                 "threads/processes: requests whose estimated cost is below this many steps "
                 "(10^6 steps: about a millisecond) are computed on the loop, the rest by the "
                 "pool (0: every request goes to the pool)")
      ->check(cli::decimal(0, 1e12, "steps", "0: all to the pool"))
      ->capture_default_str();
  app.add_flag("--gil", o.gil,
               "Model CPython's interpreter lock: the loop and the workers share one lock "
               "(docs/gil.md)");
  app.add_option("--switch-interval", switch_interval,
                 "With --gil: seconds a thread waits for the lock before asking for it")
      ->check(cli::seconds(0.000001, 3600))
      ->capture_default_str();

  const auto check = [&] {
    check_workers(o.executor, o.pool.workers);
    cli::only_with(app, "--switch-interval", "--gil", "the lock's switch interval");
    if (max_n->count() > 0 && o.max_n > largest_n(o.pool.work)) {
      throw cli::usage_error("--max-n", std::to_string(o.max_n),
                             fmt::format("past the largest n the {} workload answers ({})",
                                         to_string(o.pool.work), largest_n(o.pool.work)));
    }
  };
  if (const auto status = cli::parse(app, argc, argv, check)) return {std::nullopt, *status};
  if (max_n->count() == 0) o.max_n = default_max_n(o.pool.work);
  o.stats_interval = std::chrono::duration<double>(stats);
  o.idle_timeout = milliseconds_of(idle);
  o.line_timeout = milliseconds_of(line);
  o.grace = milliseconds_of(grace);
  o.drain_delay = milliseconds_of(drain_delay);
  // What an inline computation, which counts from the signal itself (the loop is frozen), may
  // run: the drain delay, then the grace, as the server gives the pools.
  o.pool.grace = o.drain_delay + o.grace;
  o.pool.request_timeout = milliseconds_of(timeout);
  o.switch_interval = cli::microseconds_of(switch_interval);
  return {o, 0};
}

}  // namespace primeloop
