#include "benchmarks/bench/bench_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "benchmarks/bench/bench_report.hpp"
#include "benchmarks/harness/lab_support.hpp"
#include "benchmarks/harness/run_flags.hpp"
#include "benchmarks/harness/wrap_words.hpp"
#include "cli/cli.hpp"
#include "cli/validators.hpp"
#include "core/executor_kind.hpp"
#include "core/workloads.hpp"

namespace primeloop::bench {
namespace {

/// The executors that compute in the server's own process, whose CPU time the sieve race reads
/// (bench_sieve.cpp): every one but processes, whose workers are other processes.
std::vector<std::string> in_process_executors() {
  std::vector<std::string> out;
  for (const auto& row : executor_names) {
    if (row.value != executor_kind::processes) out.emplace_back(row.name);
  }
  return out;
}

}  // namespace

std::optional<bench_config> parse_bench_flags(int argc, char** argv, int& exit_code) {
  CLI::App app{
      "primeloop-bench: every performance figure in one run: small-request throughput "
      "as a ratio of the baseline server, throughput and latency during a long request, memory "
      "with idle connections, the sieve against primesieve, the fast workload against "
      "primecount, and system calls per request"};
  cli::setup(app, "primeloop-bench");
  bench_config config;
  std::string out_dir = config.out_dir.string(), server, baseline, primesieve, primecount;
  std::vector<std::string> phases = names_of(phase_names), column_args, column_servers;
  long warmup_ms = config.warmup.count();
  const CLI::Validator column_check([](std::string& name) { return lab::column_error(name); },
                                    "COLUMN");
  app.add_option(cli::flag("--executors"), config.executors,
                 "Columns to measure after the baseline: executors, and variants such as "
                 "'threads+nice19' (--worker-nice 19), 'threads+gil5ms' or 'threads+adaptive' "
                 "(cheap work on the loop)")
      ->delimiter(',')
      ->check(column_check)
      ->default_str(fmt::format("{}", fmt::join(config.executors, ",")));
  app.add_option("--column-arg", column_args,
                 "COLUMN=FLAG: an extra server flag for that column only (repeatable), e.g. "
                 "--column-arg threads+nice19=--workers=1")
      ->allow_extra_args(false);
  app.add_option("--column-server", column_servers,
                 "COLUMN=PATH: another primeloop-server for that column only (repeatable), to "
                 "compare two builds in one run, e.g. -e threads,threads+nice0 "
                 "--column-server threads+nice0=/tmp/before/primeloop-server")
      ->allow_extra_args(false);
  // The names in the help text rather than in the type: both lists would not fit 100 columns.
  app.add_option("--phases", phases,
                 fmt::format("Phases: {} (default: all)", fmt::join(phases, ", ")))
      ->delimiter(',')
      ->type_name("NAME,...")
      ->check(cli::one_of(phases, "phase").description(""));
  app.add_option("--connections,-c", config.connection_counts,
                 "Throughput: connection counts (1 measures wake-up latency)")
      ->delimiter(',')
      ->check(cli::range(1, 10'000))
      ->default_str("1,16,64");
  app.add_option("--duration,-d", config.duration_s, "Throughput: measured seconds per cell")
      ->default_val(config.duration_s)
      ->check(cli::range(1, 600));
  app.add_option("--rounds,-r", config.rounds, "Throughput: rounds over all cells, best kept")
      ->default_val(config.rounds)
      ->check(cli::range(1, 100));
  app.add_option("--warmup", warmup_ms, "Milliseconds of load before each measurement")
      ->default_val(warmup_ms)
      ->check(cli::range(0, 60'000));
  app.add_option("--depth", config.depth, "Pipelining depth of the small requests")
      ->default_val(config.depth)
      ->check(cli::range(1, 4096));
  auto& scenario = config.long_request;
  app.add_option("--long-n", scenario.long_n, "Long request: its n (naive workload)")
      ->default_val(scenario.long_n)
      ->check(cli::range_u64(1, largest_n(workload::naive)));
  app.add_option("--long-connections", scenario.connections,
                 "Long request: small-request connections meanwhile")
      ->default_val(scenario.connections)
      ->check(cli::range(1, 10'000));
  bool no_standin = false;
  harness::add_long_request_flags(app, scenario.before_s, scenario.during_s, no_standin);
  harness::add_after_flag(app, scenario.after_s);
  app.add_option("--idle-connections", config.idle_connections,
                 "Idle connections per server (0: skip)")
      ->default_val(config.idle_connections)
      ->check(cli::range(0, 1'000'000));
  app.add_option("--sieve-n", config.sieve_n, "Sieve: the n asked for (0: skip)")
      ->default_val(config.sieve_n)
      ->check(cli::range_u64(0, largest_n(workload::sieve), "0: skip"));
  app.add_option("--sieve-executor", config.sieve_executor,
                 "Sieve: the server's executor (its CPU time is read from its process)")
      ->default_val(config.sieve_executor)
      ->check(cli::one_of(in_process_executors(), "sieve executor"));
  app.add_option("--sieve-rounds", config.sieve_rounds, "Sieve: rounds, best kept")
      ->default_val(config.sieve_rounds)
      ->check(cli::range(1, 100));
  app.add_option("--primesieve", primesieve, "primesieve command (default: from PATH)");
  app.add_option("--fast-n", config.fast_ns,
                 "Fast: the n asked for, one row each (the first has the target)")
      ->delimiter(',')
      ->check(cli::range_u64(1, largest_n(workload::fast)))
      ->default_str("1000000000000,100000000");
  app.add_option("--fast-rounds", config.fast_rounds, "Fast: rounds, best kept")
      ->default_val(config.fast_rounds)
      ->check(cli::range(1, 100));
  app.add_option("--primecount", primecount, "primecount command (default: from PATH)");
  harness::add_server_flags(app, scenario.workers, server, scenario.server_flags);
  app.add_option("--baseline", baseline, "primeloop-baseline (default: next to this program)");
  app.add_option(cli::flag("--out"), out_dir, "Directory for bench.csv, bench.txt and server logs")
      ->default_val(out_dir);
  const auto check = [&] {
    for (const auto& a : column_args) {
      const auto eq = a.find('=');
      const auto column = a.substr(0, eq);
      if (eq == std::string::npos || eq + 1 == a.size()) {
        throw cli::usage_error("--column-arg", a, "not COLUMN=FLAG");
      }
      if (std::find(config.executors.begin(), config.executors.end(), column) ==
          config.executors.end()) {
        throw cli::usage_error("--column-arg", a,
                               "'" + column + "' is not one of the columns (--executors)");
      }
      config.column_flags[column].push_back(a.substr(eq + 1));
    }
    for (const auto& a : column_servers) {
      const auto eq = a.find('=');
      const auto column = a.substr(0, eq);
      if (eq == std::string::npos || eq + 1 == a.size() ||
          std::find(config.executors.begin(), config.executors.end(), column) ==
              config.executors.end()) {
        throw cli::usage_error("--column-server", a,
                               "not COLUMN=PATH with a column of --executors");
      }
      config.column_servers[column] = a.substr(eq + 1);
    }
  };
  if (const auto status = cli::parse(app, argc, argv, check)) {
    exit_code = *status;
    return std::nullopt;
  }
  config.phases.clear();
  for (const auto& p : phases) {
    if (const auto phase = parse_phase(p)) config.phases.push_back(*phase);
  }
  config.warmup = scenario.warmup = std::chrono::milliseconds{warmup_ms};
  scenario.depth = config.depth;
  scenario.standin = !no_standin;
  config.out_dir = std::filesystem::absolute(out_dir);
  config.command = harness::quote_command(argc, argv);
  config.primesieve =
      primesieve.empty() ? harness::find_on_path("primesieve") : std::filesystem::path(primesieve);
  config.primecount =
      primecount.empty() ? harness::find_on_path("primecount") : std::filesystem::path(primecount);
  const auto find = [&] {
    scenario.server = harness::sibling_binary(server, "primeloop-server");
    if (config.runs(bench_phase::throughput) || config.runs(bench_phase::syscalls)) {
      config.baseline = harness::sibling_binary(baseline, "primeloop-baseline");
    }
    if (!primesieve.empty() && !std::filesystem::exists(config.primesieve)) {
      throw std::runtime_error("primesieve not found at " + primesieve);
    }
    if (!primecount.empty() && !std::filesystem::exists(config.primecount)) {
      throw std::runtime_error("primecount not found at " + primecount);
    }
  };
  if (!harness::succeeded("primeloop-bench", find, exit_code)) return std::nullopt;
  return config;
}

int run_bench_command(const bench_config& config) {
  // Thousands of idle connections need as many descriptors here; the servers raise their own.
  raise_open_file_limit();
  // Every line within a 100-column terminal: longer ones fold at spaces.
  const auto header = harness::wrap_lines(
      fmt::format("primeloop-bench: {}\n{}", config.command, harness::describe_build_and_machine()),
      100);
  const auto progress = [](const std::string& line) {
    fmt::print("{}\n", harness::wrap_lines(line, 100));
    std::fflush(stdout);
  };
  const auto report = [&](const bench_results& results, double took_s) {
    const auto text = format_bench(results, config);
    fmt::print("\n{}the bench took {:.0f} s\n", harness::wrap_lines(text, 100), took_s);
    const auto csv = config.out_dir / "bench.csv";
    const auto figures = config.out_dir / "bench-figures.csv";
    const auto targets = config.out_dir / "bench-targets.csv";
    const auto txt = config.out_dir / "bench.txt";
    harness::write_text_file(csv, bench_csv(results.cells, config));
    harness::write_text_file(figures, figures_csv(results));
    harness::write_text_file(targets, targets_csv(check_targets(results, config)));
    harness::write_text_file(txt, "command: " + config.command + "\n\n" + text);
    fmt::print("wrote, in {}/:\n  {}, {}, {} and {}\n", config.out_dir.string(),
               csv.filename().string(), figures.filename().string(), targets.filename().string(),
               txt.filename().string());
    return 0;
  };
  return harness::run_command("primeloop-bench", header, run_bench(config, progress), report);
}

}  // namespace primeloop::bench
