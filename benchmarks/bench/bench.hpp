#pragma once
/// The performance benchmark, every figure in one run: each phase (bench_phase) measures the
/// baseline server and each column side by side and keeps the best of its rounds; the figures,
/// their targets and whether they are met go to the tables and CSV files (bench_report.hpp).
/// docs/performance.md says what each figure means.
#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/bench/syscall_count.hpp"
#include "benchmarks/harness/lab_support.hpp"
#include "benchmarks/harness/process_probe.hpp"
#include "benchmarks/lab/lab.hpp"
#include "core/executor_kind.hpp"
#include "core/names.hpp"

namespace primeloop::bench {

/// The parts of a benchmark run, in the order they run.
enum class bench_phase { throughput, wrk, long_request, idle, fair, sieve, fast, syscalls };

/// The one table of phase names, in the order they run: to_string, parse_phase, --phases (its
/// help text and its check) and the default of bench_config::phases read it.
inline constexpr names_table<bench_phase, 8> phase_names{{
    {bench_phase::throughput, "throughput"},
    {bench_phase::wrk, "wrk"},
    {bench_phase::long_request, "long"},
    {bench_phase::idle, "idle"},
    {bench_phase::fair, "fair"},
    {bench_phase::sieve, "sieve"},
    {bench_phase::fast, "fast"},
    {bench_phase::syscalls, "syscalls"},
}};

/// The phase's name in phase_names.
[[nodiscard]] std::string_view to_string(bench_phase p) noexcept;
/// The phase a name asks for, or nullopt.
[[nodiscard]] std::optional<bench_phase> parse_phase(std::string_view name) noexcept;

/// What the benchmark runs. The defaults take about two minutes.
struct bench_config {
  /// The measured columns after the baseline: executors and variants (see parse_column,
  /// "threads+nice19").
  std::vector<std::string> executors = names_of(::primeloop::executor_names);
  /// Extra server flags of one column only, by column name (--column-arg NAME=FLAG).
  std::map<std::string, std::vector<std::string>> column_flags;
  /// Another primeloop-server binary for one column (--column-server NAME=PATH): a change's
  /// before and after side by side in one run, e.g. columns threads and threads+nice0.
  std::map<std::string, std::filesystem::path> column_servers;
  std::vector<bench_phase> phases = values_of(phase_names);  ///< what runs: by default all

  // Throughput.
  std::vector<unsigned> connection_counts{1, 16, 64};  ///< one measurement per count and target
  unsigned duration_s = 1;                             ///< measured seconds per cell and round
  unsigned rounds = 5;                                 ///< each cell keeps its best round
  std::chrono::milliseconds warmup{300};               ///< load before each measurement
  unsigned depth = 1;                                  ///< pipelining depth

  /// The long request: the lab's scenario (lab_config), run on each column's server with the
  /// bench's depth and warm-up; shorter than the lab's, and stopped sooner. Its server, workers
  /// and server flags are every column's.
  lab::lab_config long_request{.before_s = 4,
                               .during_s = 5,
                               .stop_grace = std::chrono::seconds{2},
                               .warmup = std::chrono::milliseconds{300}};

  // Idle connections.
  unsigned idle_connections = 10'000;  ///< 0: skip

  // Fairness: one connection pipelines fair_backlog x fair_n, then a fresh one asks for 10.
  unsigned fair_backlog = 1024;
  std::uint64_t fair_n = 10'000;

  // The sieve.
  std::uint64_t sieve_n = 100'000'000;     ///< the n asked for
  std::string sieve_executor = "threads";  ///< inline or threads (whose CPU time is the server's)
  unsigned sieve_rounds = 3;               ///< each figure keeps its best round
  std::filesystem::path primesieve;        ///< the command; empty: not found, skipped

  // Fast: the server's --workload fast against primecount, one row per n.
  std::vector<std::uint64_t> fast_ns{1'000'000'000'000, 100'000'000};  ///< the first has a target
  unsigned fast_rounds = 3;          ///< each figure keeps its best round
  std::filesystem::path primecount;  ///< the command; empty: not found, skipped

  std::filesystem::path baseline;                 ///< primeloop-baseline
  std::filesystem::path out_dir = "lab-results";  ///< where bench.csv and logs go
  std::string command;                            ///< quoted in the outputs

  /// True when phase p is to run.
  [[nodiscard]] bool runs(bench_phase p) const;
};

/// One throughput measurement: one target at one connection count.
struct bench_cell {
  std::string target;  ///< "baseline" or a column
  unsigned connections = 0;
  unsigned round = 0;    ///< the round this measurement comes from
  double rps = 0;        ///< small requests answered per second
  double worst_rps = 0;  ///< the worst round's (the spread says how noisy the machine was)
  std::chrono::nanoseconds mean{0}, p50{0}, p99{0};  ///< their latency
  std::string error;                                 ///< non-empty when the measurement failed
};

/// The server answering one n against a reference command answering the same (the sieve
/// against primesieve, fast against primecount): each figure is the best of the rounds.
struct race {
  std::uint64_t n = 0;
  std::string executor;  ///< the server's
  std::optional<harness::timing>
      server;  ///< wall on the client; CPU of the server process (all threads)
  /// The reference command's runs, from its rusage, in the phase's order: the sieve's
  /// primesieve -t1 and primesieve on all threads; fast's primecount -t1.
  std::vector<std::optional<harness::timing>> references;
  std::string answer;   ///< the server's answer (the references agree, or error says)
  std::string skipped;  ///< why the reference command was not run, when it was not
  std::string error;    ///< non-empty when the race failed

  /// Reference i's run, or none (not run, or not so many).
  [[nodiscard]] const std::optional<harness::timing>& reference(std::size_t i) const;
  /// Server CPU time / the first reference's (one thread), when both were measured.
  [[nodiscard]] std::optional<double> cpu_ratio() const;
};

/// One server holding many idle connections.
struct idle_cell {
  std::string target;                ///< the column measured
  unsigned requested = 0;            ///< connections asked for
  unsigned opened = 0;               ///< connections that opened
  bool answered = false;             ///< the server answered a request after the last one opened
  std::uint64_t rss_before_kib = 0;  ///< the server process's VmRSS before opening them
  std::uint64_t rss_kib = 0;         ///< ... with all of them open
  std::uint64_t group_rss_kib = 0;   ///< VmRSS summed over its process group (pool workers too;
                                     ///< pages they share are counted in each)
  std::size_t server_fds = 0;        ///< descriptors the server process had open then
  std::string error;                 ///< non-empty when the measurement failed
};

/// wrk against one column's HTTP face: the best of the rounds.
struct wrk_cell {
  std::string target;  ///< a column
  unsigned connections = 0;
  double rps = 0;        ///< wrk's "Requests/sec", best round
  double worst_rps = 0;  ///< the worst round's
  std::string error;     ///< non-empty when it failed (or was skipped: "skipped: ...")
};

/// A fresh connection's wait behind another connection's pipelined backlog.
struct fairness_cell {
  std::string target;
  std::chrono::nanoseconds first_answer{0};  ///< the backlog's first answer: one computation
  std::optional<std::chrono::nanoseconds> fresh_wait;  ///< the fresh request's answer time
  std::string error;                                   ///< non-empty when it failed
};

/// Everything one run measured.
struct bench_results {
  std::vector<bench_cell> cells;                 ///< throughput, best round of each cell
  std::vector<lab::executor_summary> long_runs;  ///< one per column, in column order
  std::optional<bool> long_standin;              ///< what "before" ran against, when the phase ran
  std::vector<idle_cell> idle;                   ///< one per column, in column order
  std::vector<fairness_cell> fairness;           ///< one per column, in column order
  std::optional<race> sieve;                     ///< when the phase ran
  std::vector<race> fast;                        ///< one per config.fast_ns, when the phase ran
  std::vector<syscall_cell> syscalls;            ///< the baseline, then each column
  std::vector<wrk_cell> wrk;                     ///< one per column, when the phase ran
  harness::machine_info machine_before,
      machine_after;  ///< the machine, and its load, around the run
};

/// Runs the phases of config; progress(line) is called with a line of progress after each
/// measurement. The throughput servers start first and stay up (idle when not measured) for
/// the idle-connection phase; each is stopped after its long request, which ends the long
/// computation with it.
[[nodiscard]] asio::awaitable<bench_results> run_bench(
    const bench_config& config, std::function<void(const std::string&)> progress);

/// The server's command line for one column (a name parse_column accepts) and workload.
[[nodiscard]] std::vector<std::string> bench_server_argv(const bench_config& config,
                                                         const std::string& column,
                                                         const std::string& workload = "naive");

}  // namespace primeloop::bench
