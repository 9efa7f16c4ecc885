#include "server/options.hpp"

#include <map>

#include <CLI/CLI.hpp>

#include "executors/adaptive_executor.hpp"
#include "primeloop/version.hpp"

namespace primeloop {

std::string_view to_string(executor_kind k) noexcept {
  switch (k) {
    case executor_kind::inline_:
      return "inline";
    case executor_kind::threads:
      return "threads";
    case executor_kind::processes:
      return "processes";
  }
  return "?";
}

namespace {

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + 0.5));
}

}  // namespace

parsed_options parse_server_options(int argc, const char* const* argv) {
  server_options o;
  CLI::App app{
      "primeloop-server: answers \"the nth prime\" over TCP from one event loop.\n"
      "Protocol: send n (1-based) and a newline, read the prime and a newline."};
  app.set_version_flag("--version", std::string("primeloop-server ") + primeloop::version);

  const std::map<std::string, executor_kind> executors{{"inline", executor_kind::inline_},
                                                       {"threads", executor_kind::threads},
                                                       {"processes", executor_kind::processes}};
  std::map<std::string, workload> workloads;
  for (const auto& [w, name] : workload_names) workloads.emplace(name, w);
  std::string executor_name = "threads", workload_name = "naive";
  double stats = 1.0, idle = 60.0, line = 10.0, grace = 2.0, timeout = 0.0, switch_interval = 0.005;

  app.add_option("--executor", executor_name, "Where computations run")
      ->check(CLI::IsMember(executors))
      ->capture_default_str();
  app.add_option("--bind", o.bind, "Address to listen on")->capture_default_str();
  app.add_option("--port", o.port, "Port to listen on (0: any free port)")->capture_default_str();
  app.add_option("--workers", o.pool.workers, "Pool size for threads/processes (0: one per core)")
      ->capture_default_str();
  app.add_option("--workload", workload_name,
                 "Algorithm: naive (the lesson's, slow), trial, sieve, fast (prime counting)")
      ->check(CLI::IsMember(workloads))
      ->capture_default_str();
  app.add_option("--stats-interval", stats, "Seconds between stats lines (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  auto* max_n = app.add_option("--max-n", o.max_n,
                               "Largest n accepted (fast: 10000000000000 by default, up to "
                               "216289611853439384; the others: up to 1000000000000)")
                    ->check(CLI::PositiveNumber)
                    ->capture_default_str();
  app.add_option("--max-line", o.max_line, "Longest request line in bytes")
      ->check(CLI::Range(std::size_t{8}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--max-pipeline", o.max_pipeline,
                 "Unanswered requests per connection before it stops reading")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--queue-limit", o.pool.queue_limit,
                 "Requests waiting for a worker before new ones get ERR busy")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24))
      ->capture_default_str();
  app.add_option("--max-connections", o.max_connections,
                 "Open connections before new ones get ERR too many connections")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24))
      ->capture_default_str();
  app.add_option("--send-buffer", o.send_buffer,
                 "Kernel send buffer per connection in bytes: bounds the replies a client that "
                 "does not read can leave behind (0: the kernel's automatic sizing)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 26))
      ->capture_default_str();
  app.add_option("--idle-timeout", idle,
                 "Seconds a connection may go with nothing received, nothing delivered and "
                 "nothing computing before it is closed (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--line-timeout", line,
                 "Seconds a started line may take to reach its newline before ERR line timeout "
                 "and close: a client sending a byte now and then cannot hold a connection "
                 "(0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--request-timeout", timeout,
                 "Seconds a computation may run before ERR timeout (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--grace", grace, "Seconds in-flight work may finish after SIGINT/SIGTERM")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--worker-nice", o.pool.worker_nice,
                 "Niceness of costly computations (0-19): the loop and small requests win "
                 "the CPU from a long one")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  o.pool.offload_above = executors::default_offload_above;
  app.add_option("--offload-above", o.pool.offload_above,
                 "threads/processes: requests whose estimated cost is below this many steps "
                 "(10^6 steps: about a millisecond) are computed on the loop, the rest by the "
                 "pool (0: every request goes to the pool)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--gil", o.gil,
               "Model CPython's interpreter lock: the loop and the workers share one lock "
               "(docs/gil.md)");
  app.add_option("--switch-interval", switch_interval,
                 "With --gil: seconds a thread waits for the lock before asking for it")
      ->check(CLI::Range(0.000001, 3600.0))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
    const auto work = workloads.at(workload_name);
    if (max_n->count() > 0 && o.max_n > largest_n(work)) {
      throw CLI::ValidationError(
          "--max-n", std::to_string(o.max_n) + " is past the largest n the " + workload_name +
                         " workload answers (" + std::to_string(largest_n(work)) + ")");
    }
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e)};
  }
  o.executor = executors.at(executor_name);
  o.pool.work = workloads.at(workload_name);
  if (max_n->count() == 0) o.max_n = default_max_n(o.pool.work);
  o.stats_interval = std::chrono::duration<double>(stats);
  o.idle_timeout = to_ms(idle);
  o.line_timeout = to_ms(line);
  o.grace = to_ms(grace);
  o.pool.grace = o.grace;
  o.pool.request_timeout = to_ms(timeout);
  o.switch_interval =
      std::chrono::microseconds(static_cast<std::int64_t>(switch_interval * 1e6 + 0.5));
  return {o, 0};
}

}  // namespace primeloop
