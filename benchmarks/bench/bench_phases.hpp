#pragma once
/// The bench's phases, one file each: its measurement, its table, its figures and its targets.
/// run_bench (bench.cpp) runs them in order; the report (bench_report.cpp) puts their tables,
/// figures and targets together. Internal to the bench: the public interface is bench.hpp and
/// bench_report.hpp.
#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/bench/bench.hpp"
#include "benchmarks/bench/bench_report.hpp"
#include "benchmarks/harness/server_child.hpp"
#include "core/report_format.hpp"

namespace primeloop::bench::detail {

/// How long a child server has to print its listening line.
inline constexpr std::chrono::seconds start_deadline{10};
/// SIGTERM to SIGKILL: an inline server computing the long request cannot answer SIGTERM.
inline constexpr std::chrono::seconds stop_grace{2};

/// A progress callback: one line of progress after each measurement.
using progress_fn = std::function<void(const std::string&)>;

/// Adds one row of bench-figures.csv: phase,target,figure,value,unit.
using figure_fn = std::function<void(const char* phase, const std::string& target,
                                     const char* figure, double value, const char* unit)>;

/// The executor a column runs ("threads" for "threads+nice19").
[[nodiscard]] std::string base_executor(const std::string& column);

/// The primeloop-server children, one per column, started once for every phase that needs them.
struct column_servers {
  std::vector<std::unique_ptr<harness::server_child>> servers;  ///< in column order
  std::vector<bool> stopped;                                    ///< true once a phase stopped it
};

/// Small requests against the baseline and each column, best of interleaved rounds.
asio::awaitable<void> throughput_phase(const bench_config& config, harness::server_child& baseline,
                                       column_servers& columns, bench_results& results,
                                       const progress_fn& progress);
/// Each throughput cell's ratio of the baseline against its column's target.
void throughput_targets(const bench_results& results, const bench_config& config,
                        std::vector<target_check>& out);
/// wrk's connections: the bench's main throughput figure's count.
inline constexpr unsigned wrk_connections = 16;
/// wrk against each column's GET /prime/1, best of config.rounds.
asio::awaitable<void> wrk_phase(const bench_config& config, column_servers& columns,
                                bench_results& results, const progress_fn& progress);
/// Each column's memory with config.idle_connections open.
asio::awaitable<void> idle_phase(const bench_config& config, column_servers& columns,
                                 bench_results& results, const progress_fn& progress);
/// Each column's fresh-request wait behind a pipelined backlog.
asio::awaitable<void> fair_phase(const bench_config& config, column_servers& columns,
                                 bench_results& results, const progress_fn& progress);
/// Each column's small requests before and during a long request; stops each column's server.
asio::awaitable<void> long_phase(const bench_config& config, column_servers& columns,
                                 bench_results& results, const progress_fn& progress);
/// Each column's retention and p99 during the long request against their targets.
void long_targets(const bench_results& results, std::vector<target_check>& out);
/// The long request's figures.
void long_figures(const bench_results& results, const figure_fn& add);
/// Each column's memory with the idle connections open against its target.
void idle_targets(const bench_results& results, std::vector<target_check>& out);
/// The idle phase's figures.
void idle_figures(const bench_results& results, const figure_fn& add);
/// Each column's fresh-request wait against its target.
void fairness_targets(const bench_results& results, std::vector<target_check>& out);
/// The loop's system calls per request against the baseline's.
void syscall_targets(const bench_results& results, std::vector<target_check>& out);
/// The server's sieve against primesieve.
asio::awaitable<void> sieve_phase(const bench_config& config, bench_results& results,
                                  const progress_fn& progress);

/// The server's fast workload against primecount.
asio::awaitable<void> fast_phase(const bench_config& config, bench_results& results,
                                 const progress_fn& progress);
/// The sieve's and fast's server CPU time over their reference's, against their targets.
void race_targets(const bench_results& results, std::vector<target_check>& out);
/// The races' figures.
void race_figures(const bench_results& results, const figure_fn& add);

}  // namespace primeloop::bench::detail
