#include <fmt/format.h>

#include <algorithm>
#include <asio/this_coro.hpp>
#include <stdexcept>

#include "benchmarks/bench/bench_phases.hpp"
#include "benchmarks/bench/reference_race.hpp"

namespace primeloop::lab {

std::optional<double> fast_race::cpu_ratio() const {
  if (!server || !primecount || primecount->cpu.count() <= 0) return std::nullopt;
  return static_cast<double>(server->cpu.count()) / static_cast<double>(primecount->cpu.count());
}

namespace detail {

namespace net = asio;

namespace {

/// Runs primecount for race.n once on one thread, checks it agrees with the server and keeps
/// its best times. Returns the progress text. (Not in the coroutine: GCC 12 mis-compiles
/// initializer lists in coroutine frames.)
std::string run_primecount(const bench_config& config, fast_race& race) {
  const std::vector<std::string> cmd{config.primecount.string(), std::to_string(race.n),
                                     "--nth-prime", "-t1"};
  const auto time = run_reference(cmd, race.answer, "primecount", fmt::format("n={}: ", race.n));
  keep_best(race.primecount, time);
  return fmt::format(", primecount -t1 {:.3f} s wall {:.3f} s CPU", secs(time.wall),
                     secs(time.cpu));
}

}  // namespace

net::awaitable<void> fast_phase(const bench_config& config, bench_results& results,
                                const progress_fn& progress) {
  auto argv = bench_server_argv(config, "threads", "fast");
  // The server's own limit keeps one uninterruptible call near a second: allow the largest n.
  const auto largest = *std::max_element(config.fast_ns.begin(), config.fast_ns.end());
  argv.insert(argv.end(), {"--max-n", std::to_string(largest)});
  server_child server(co_await net::this_coro::executor, argv,
                      (config.out_dir / "bench-server-fast.log").string());
  co_await server.wait_listening(start_deadline);
  clients::one_shot_config ask;
  ask.port = server.port();
  ask.timeout = std::chrono::minutes{5};
  for (const auto n : config.fast_ns) {
    fast_race race;
    race.n = n;
    if (config.primecount.empty()) {
      race.skipped = "primecount not found on PATH (Debian: apt install primecount)";
    }
    try {
      for (unsigned round = 1; round <= config.fast_rounds; ++round) {
        const auto t = co_await time_server_answer(ask, server.pid(), std::to_string(n));
        race.answer = t.answer;
        keep_best(race.server, t.time);
        std::string line = fmt::format("  round {} fast n={}: server {:.3f} s wall {:.3f} s CPU",
                                       round, n, secs(t.time.wall), secs(t.time.cpu));
        if (race.skipped.empty()) line += run_primecount(config, race);
        progress(line);
      }
    } catch (const std::exception& e) {
      race.error = e.what();
      progress(fmt::format("  fast n={} FAILED: {}", n, race.error));
    }
    results.fast.push_back(std::move(race));
  }
  co_await server.stop(stop_grace);
}

}  // namespace detail
}  // namespace primeloop::lab
