#include "benchmarks/bench/bench_phases.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <asio/this_coro.hpp>
#include <stdexcept>

#include "benchmarks/bench/reference_race.hpp"

namespace primeloop::lab::detail {

namespace net = asio;

namespace {

/// Runs primesieve for race.n once, checks it agrees with the server and keeps its best times.
/// Returns the progress text. (Not in the coroutine: GCC 12 mis-compiles initializer lists in
/// coroutine frames.)
std::string run_primesieve(const bench_config& config, sieve_race& race, bool one_thread) {
  std::vector<std::string> cmd{config.primesieve.string(), "-n", std::to_string(race.n), "-q"};
  if (one_thread) cmd.push_back("-t1");
  const auto time = run_reference(cmd, race.answer, "primesieve", "");
  keep_best(one_thread ? race.primesieve_one : race.primesieve_all, time);
  return fmt::format(", primesieve{} {:.3f} s wall {:.3f} s CPU", one_thread ? " -t1" : "",
                     secs(time.wall), secs(time.cpu));
}

}  // namespace

net::awaitable<void> sieve_phase(const bench_config& config, bench_results& results,
                                 const progress_fn& progress) {
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
      const auto t = co_await time_server_answer(ask, server.pid(), n);
      race.answer = t.answer;
      keep_best(race.server, t.time);
      std::string line =
          fmt::format("  round {} sieve n={}: server ({}) {:.3f} s wall {:.3f} s CPU", round, n,
                      config.sieve_executor, secs(t.time.wall), secs(t.time.cpu));
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

}  // namespace primeloop::lab::detail
