#include "benchmarks/reference/reference_options.hpp"

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli.hpp"
#include "cli/validators.hpp"

namespace primeloop::reference {
parsed_reference_options parse_reference_options(reference_kind kind, int argc,
                                                 const char* const* argv) {
  const bool threaded = kind == reference_kind::threaded;
  const std::string program = threaded ? "primeloop-threaded" : "primeloop-blocking";
  CLI::App app{
      threaded ? "primeloop-threaded: the lesson's second stage, one thread per connection with "
                 "blocking I/O (--gil: with CPython's interpreter lock).\n"
                 "Speaks primeloop's protocol: send n and a newline, read the nth prime."
               : "primeloop-blocking: the lesson's first stage, one client at a time: accept, "
                 "serve it until it leaves, then the next.\n"
                 "Speaks primeloop's protocol: send n and a newline, read the nth prime."};
  cli::setup(app, program);
  reference_options o;
  // The lesson's stages predate the fast workload: every name of the table but that one.
  std::vector<std::string> workloads;
  for (const auto& row : workload_names) {
    if (row.value != workload::fast) workloads.emplace_back(row.name);
  }
  std::string workload_name(to_string(o.work));
  double stats = 1.0, idle = 60.0, grace = 2.0, switch_interval = 0.005;

  app.add_option(cli::flag("--bind"), o.bind, "Address to listen on")->capture_default_str();
  app.add_option(cli::flag("--port"), o.port, "Port to listen on (0: any free port)")
      ->check(cli::range(0, 65535, "0: any free port"))
      ->capture_default_str();
  app.add_option("--workload", workload_name, "Algorithm: naive (the lesson's, slow), trial, sieve")
      ->check(cli::one_of(workloads, "workload"))
      ->capture_default_str();
  app.add_option("--stats-interval", stats, "Seconds between stats lines (0: none)")
      ->check(cli::seconds(0, cli::max_seconds, "0: no stats lines"))
      ->capture_default_str();
  app.add_option("--max-n", o.max_n, "Largest n accepted")
      ->check(cli::range_u64(1, 1'000'000'000'000))
      ->capture_default_str();
  app.add_option("--max-line", o.max_line, "Longest request line in bytes")
      ->check(cli::range(8, std::int64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--backlog", o.backlog,
                 threaded ? "Connections the kernel queues before they are accepted"
                          : "Connections the kernel queues while one is served; past it the "
                            "kernel refuses or drops new ones")
      ->check(cli::range(1, 65535))
      ->capture_default_str();
  if (threaded) {
    app.add_option("--max-connections", o.max_connections,
                   "Connections (threads) at once before new ones get ERR too many connections")
        ->check(cli::range(1, std::int64_t{1} << 16))
        ->capture_default_str();
  }
  app.add_option("--idle-timeout", idle,
                 "Seconds a connection may send nothing before it is closed (0: never)")
      ->check(cli::seconds(0, cli::max_seconds, "0: never"))
      ->capture_default_str();
  app.add_option("--grace", grace, "Seconds a computation may finish after SIGINT/SIGTERM")
      ->check(cli::seconds(0, 3600))
      ->capture_default_str();
  if (threaded) {
    app.add_flag("--gil", o.gil,
                 "Model CPython's interpreter lock: a thread holds it except in blocking I/O "
                 "(docs/gil.md)");
    app.add_option("--switch-interval", switch_interval,
                   "With --gil: seconds a thread waits for the lock before asking for it")
        ->check(cli::seconds(0.000001, 3600))
        ->capture_default_str();
  }
  if (const auto status = cli::parse(app, argc, argv)) return {std::nullopt, *status};
  o.work = *value_named(workload_names, workload_name);
  o.stats_interval = std::chrono::duration<double>(stats);
  o.idle_timeout = cli::milliseconds_of(idle);
  o.grace = cli::milliseconds_of(grace);
  o.switch_interval = cli::microseconds_of(switch_interval);
  return {o, 0};
}

}  // namespace primeloop::reference
