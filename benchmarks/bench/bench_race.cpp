// The sieve and fast phases: one race each between the server and a reference command.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <asio/this_coro.hpp>
#include <chrono>
#include <stdexcept>

#include "benchmarks/bench/bench_phases.hpp"
#include "benchmarks/harness/process_probe.hpp"
#include "clients/one_shot.hpp"

namespace primeloop::bench {

const std::optional<harness::timing>& race::reference(std::size_t i) const {
  static const std::optional<harness::timing> none;
  return i < references.size() ? references[i] : none;
}

std::optional<double> race::cpu_ratio() const {
  const auto& one = reference(0);
  if (!server || !one || one->cpu.count() <= 0) return std::nullopt;
  return static_cast<double>(server->cpu.count()) / static_cast<double>(one->cpu.count());
}

namespace detail {
namespace {

namespace net = asio;
using clock = std::chrono::steady_clock;

/// What one phase races: the server with a workload against a command.
struct race_spec {
  std::string workload;           ///< the server's --workload
  std::string executor;           ///< the server's --executor (its CPU time is its process's)
  std::vector<std::uint64_t> ns;  ///< one race each
  unsigned rounds = 1;            ///< each figure keeps its best round
  std::filesystem::path program;  ///< the command; empty: not found, the races are skipped
  std::string not_found;          ///< why, when it was not found
  /// The command's runs in each round: a label for progress, and its arguments ("{n}": n).
  std::vector<std::pair<std::string, std::vector<std::string>>> runs;
};

/// Asks the server (ask.port, process pid) for n once: its answer, timed on the client and by
/// the CPU clock of its process (the loop and the thread that computed).
net::awaitable<std::pair<std::string, harness::timing>> time_server_answer(
    clients::one_shot_config ask, pid_t pid, std::string n) {
  const auto cpu_before = harness::process_cpu_time(pid);
  const auto start = clock::now();
  const auto replies = co_await clients::ask(ask, std::vector<std::string>(1, n));
  const harness::timing t{clock::now() - start,
                          harness::process_cpu_time(pid).value_or(std::chrono::nanoseconds{0}) -
                              cpu_before.value_or(std::chrono::nanoseconds{0})};
  co_return std::pair{replies.at(0), t};
}

/// Keeps in best the lower wall and the lower CPU time of best and t (t when best is empty).
void keep_best(std::optional<harness::timing>& best, const harness::timing& t) {
  if (!best) best = t;
  best->wall = std::min(best->wall, t.wall);
  best->cpu = std::min(best->cpu, t.cpu);
}

/// The command of the spec's run i for n. (Not in a coroutine: GCC 12 mis-compiles initializer
/// lists in coroutine frames.)
std::vector<std::string> reference_command(const race_spec& spec, std::size_t i, std::uint64_t n) {
  std::vector<std::string> cmd{spec.program.string()};
  for (const auto& a : spec.runs[i].second) cmd.push_back(a == "{n}" ? std::to_string(n) : a);
  return cmd;
}

/// Runs the spec's command runs for r.n once each, checks each agrees with the server and keeps
/// their best times. Returns the progress text. Throws std::runtime_error when one fails or
/// disagrees.
net::awaitable<std::string> run_references(const race_spec& spec, race& r) {
  std::string line;
  r.references.resize(spec.runs.size());
  for (std::size_t i = 0; i < spec.runs.size(); ++i) {
    const auto run = co_await harness::run_timed(reference_command(spec, i, r.n));
    if (run.exit_status != 0) {
      throw std::runtime_error(fmt::format(
          "'{}' exited with {}", fmt::join(reference_command(spec, i, r.n), " "), run.exit_status));
    }
    const auto answer = run.output.substr(0, run.output.find_first_of("\r\n"));
    if (answer != r.answer) {
      throw std::runtime_error(fmt::format("n={}: the server answered {} and {} {}", r.n, r.answer,
                                           spec.program.filename().string(), answer));
    }
    keep_best(r.references[i], run.time);
    line += fmt::format(", {} {:.3f} s wall {:.3f} s CPU", spec.runs[i].first, secs(run.time.wall),
                        secs(run.time.cpu));
  }
  co_return line;
}

/// One server for every n of spec, each n raced for spec.rounds rounds.
net::awaitable<std::vector<race>> run_races(const bench_config& config, const race_spec& spec,
                                            const progress_fn& progress) {
  auto argv = bench_server_argv(config, spec.executor, spec.workload);
  // The server's own limit keeps one computation short: allow the largest n asked for.
  argv.push_back("--max-n");
  argv.push_back(std::to_string(*std::max_element(spec.ns.begin(), spec.ns.end())));
  harness::server_child server(
      co_await net::this_coro::executor, argv,
      (config.out_dir / fmt::format("bench-server-{}.log", spec.workload)).string());
  co_await server.wait_listening(start_deadline);
  clients::one_shot_config ask;
  ask.port = server.port();
  ask.timeout = std::chrono::minutes{5};
  std::vector<race> races;
  for (const auto n : spec.ns) {
    race r;
    r.n = n;
    r.executor = spec.executor;
    if (spec.program.empty()) r.skipped = spec.not_found;
    try {
      for (unsigned round = 1; round <= spec.rounds; ++round) {
        const auto [answer, time] =
            co_await time_server_answer(ask, server.pid(), std::to_string(n));
        r.answer = answer;
        keep_best(r.server, time);
        std::string line =
            fmt::format("  round {} {} n={}: server ({}) {:.3f} s wall {:.3f} s CPU", round,
                        spec.workload, n, spec.executor, secs(time.wall), secs(time.cpu));
        if (r.skipped.empty()) line += co_await run_references(spec, r);
        progress(line);
      }
    } catch (const std::exception& e) {
      r.error = e.what();
      progress(fmt::format("  {} n={} FAILED: {}", spec.workload, n, r.error));
    }
    races.push_back(std::move(r));
  }
  co_await server.stop(stop_grace);
  co_return races;
}

constexpr double sieve_target = 1.5;
/// The fast workload is libprimecount's own call: only the server around it should cost more.
constexpr double fast_target = 1.2;

/// A race's target (phase "sieve" or "fast"): the server's CPU time over the reference
/// command's on one thread.
target_check race_target(const race& r, std::string_view phase, std::string_view reference,
                         double target) {
  target_check t{fmt::format("{} n={}: server CPU time / {} -t1", phase, r.n, reference),
                 fmt::format("<= {:.1f}", target), "", false};
  if (!r.error.empty()) {
    t.measured = "failed: " + r.error;
  } else if (!r.skipped.empty()) {
    t.measured = "skipped: " + r.skipped;
    t.met = std::nullopt;
  } else if (const auto ratio = r.cpu_ratio()) {
    t.measured = fmt::format("{:.2f}", *ratio);
    t.met = *ratio <= target;
  } else {
    t.measured = "failed: no CPU time";
  }
  return t;
}

// The specs are built outside the coroutines: GCC 12 mis-compiles initializer lists in
// coroutine frames.
race_spec sieve_spec(const bench_config& config) {
  return {"sieve",
          config.sieve_executor,
          {config.sieve_n},
          config.sieve_rounds,
          config.primesieve,
          "primesieve not found on PATH (Debian: apt install primesieve-bin)",
          {{"primesieve -t1", {"-n", "{n}", "-q", "-t1"}}, {"primesieve", {"-n", "{n}", "-q"}}}};
}

race_spec fast_spec(const bench_config& config) {
  return {"fast",
          "threads",
          config.fast_ns,
          config.fast_rounds,
          config.primecount,
          "primecount not found on PATH (Debian: apt install primecount)",
          {{"primecount -t1", {"{n}", "--nth-prime", "-t1"}}}};
}

}  // namespace

net::awaitable<void> sieve_phase(const bench_config& config, bench_results& results,
                                 const progress_fn& progress) {
  results.sieve = (co_await run_races(config, sieve_spec(config), progress)).front();
}

net::awaitable<void> fast_phase(const bench_config& config, bench_results& results,
                                const progress_fn& progress) {
  results.fast = co_await run_races(config, fast_spec(config), progress);
}

void race_targets(const bench_results& results, std::vector<target_check>& out) {
  if (results.sieve)
    out.push_back(race_target(*results.sieve, "sieve", "primesieve", sieve_target));
  // The fast target is for the first n (10^12 by default: a quarter of a second of CPU, so the
  // server's own costs around the call are small beside it); the others are shown.
  if (!results.fast.empty()) {
    out.push_back(race_target(results.fast.front(), "fast", "primecount", fast_target));
  }
}

void race_figures(const bench_results& results, const figure_fn& add) {
  if (results.sieve && results.sieve->error.empty()) {
    const auto& s = *results.sieve;
    const auto times = [&](const std::string& who, const std::optional<harness::timing>& t) {
      if (!t) return;
      add("sieve", who, "wall", secs(t->wall), "s");
      add("sieve", who, "cpu", secs(t->cpu), "s");
    };
    times("server-" + s.executor, s.server);
    times("primesieve-t1", s.reference(0));
    times("primesieve", s.reference(1));
  }
  for (const auto& r : results.fast) {
    if (!r.error.empty()) continue;
    const auto who = fmt::format("n={}", r.n);
    if (r.server) add("fast", "server-" + who, "cpu", secs(r.server->cpu), "s");
    if (const auto& pc = r.reference(0))
      add("fast", "primecount-t1-" + who, "cpu", secs(pc->cpu), "s");
  }
}

}  // namespace detail

using namespace detail;

std::string format_sieve(const race& r) {
  std::string out = fmt::format(
      "sieve: n={}, the server (--workload sieve --executor {}) answering one request against "
      "Debian's primesieve command; best of the rounds; CPU is user + system of every thread\n",
      r.n, r.executor);
  if (!r.error.empty()) return out + "  failed: " + r.error + "\n";
  const auto row = [&](const std::string& name, const std::optional<harness::timing>& t) {
    if (!t) return fmt::format("  {:<24} -\n", name);
    std::string line =
        fmt::format("  {:<24} {:>8.3f} s wall {:>8.3f} s CPU", name, secs(t->wall), secs(t->cpu));
    if (r.server && &t != &r.server && t->wall.count() > 0 && t->cpu.count() > 0) {
      line += fmt::format("   server/this: wall {:.2f}, CPU {:.2f}",
                          secs(r.server->wall) / secs(t->wall), secs(r.server->cpu) / secs(t->cpu));
    }
    return line + "\n";
  };
  out += row("server", r.server);
  if (!r.skipped.empty()) return out + "  primesieve: skipped: " + r.skipped + "\n";
  out += row("primesieve -t1", r.reference(0));
  out += row("primesieve (all threads)", r.reference(1));
  out += fmt::format("  answer {} (both agree)\n", r.answer);
  return out;
}

std::string format_fast(const std::vector<race>& races) {
  std::string out =
      "fast: the server (--workload fast --executor threads) answering one request against "
      "Debian's\nprimecount N --nth-prime -t1; best of the rounds; CPU is user + system (the "
      "server's whole\nprocess; primecount's from its rusage)\n";
  out += fmt::format("  {:>16} {:>12} {:>16} {:>12}  {}\n", "n", "server CPU", "primecount CPU",
                     "server/pc", "answer");
  for (const auto& r : races) {
    if (!r.error.empty()) {
      out += fmt::format("  {:>16} FAILED: {}\n", r.n, r.error);
      continue;
    }
    const auto cpu = [](const std::optional<harness::timing>& t) {
      return t ? fmt::format("{:.3f} s", secs(t->cpu)) : std::string("-");
    };
    const auto ratio = r.cpu_ratio();
    out += fmt::format("  {:>16} {:>12} {:>16} {:>12}  {}\n", r.n, cpu(r.server),
                       cpu(r.reference(0)), ratio ? fmt::format("{:.2f}", *ratio) : "-",
                       r.skipped.empty() ? r.answer + " (both agree)"
                                         : r.answer + " (primecount skipped: " + r.skipped + ")");
  }
  return out;
}

}  // namespace primeloop::bench
