#pragma once
/// What the benchmark prints and writes: a table per phase, the targets with the
/// measured value and whether it is met, and the CSV files.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/bench/bench.hpp"

namespace primeloop::bench {

/// One target against what this run measured.
struct target_check {
  std::string figure;       ///< "threads / baseline, 16 connections"
  std::string target;       ///< ">= 0.70"
  std::string measured;     ///< "0.83", or "failed: ..."
  std::optional<bool> met;  ///< nullopt: not a target (shown for completeness)
};

/// The check of one figure ("throughput threads / baseline, 16 connections"), or null.
[[nodiscard]] const target_check* find_target(const std::vector<target_check>& checks,
                                              std::string_view figure);

/// The targets this run's results can be checked against, in the order of the phases.
[[nodiscard]] std::vector<target_check> check_targets(const bench_results& results,
                                                      const bench_config& config);

/// The throughput table (req/s and ratio of the baseline) and the offload round-trip costs.
[[nodiscard]] std::string format_throughput(const std::vector<bench_cell>& cells,
                                            const bench_config& config);
/// Each column during the long request: before, during, retention, latency.
[[nodiscard]] std::string format_long_runs(const std::vector<lab::executor_summary>& rows,
                                           const bench_config& config);
/// Each column's memory with the idle connections open.
[[nodiscard]] std::string format_idle(const std::vector<idle_cell>& cells,
                                      const bench_config& config);
/// The sieve against primesieve, wall and CPU time, and their ratios.
[[nodiscard]] std::string format_sieve(const race& race);
/// The fast workload against primecount -t1: CPU time of each, their ratio, one row per n.
[[nodiscard]] std::string format_fast(const std::vector<race>& races);
/// The fairness table: each column's fresh-request wait behind a pipelined backlog.
[[nodiscard]] std::string format_fairness(const std::vector<fairness_cell>& cells,
                                          const bench_config& config);
/// wrk's req/s against each column's HTTP face beside the project's client at the same
/// connection count on the line protocol (from cells, when measured).
[[nodiscard]] std::string format_wrk(const std::vector<wrk_cell>& wrk,
                                     const std::vector<bench_cell>& cells);
/// The "Requests/sec:" figure of wrk's output, or nullopt.
[[nodiscard]] std::optional<double> parse_wrk_rps(std::string_view output);
/// The targets table: figure, target, measured, met / not met.
[[nodiscard]] std::string format_targets(const std::vector<target_check>& checks);
/// Everything: the machine, each phase that ran, and the targets.
[[nodiscard]] std::string format_bench(const bench_results& results, const bench_config& config);

/// The throughput cells as CSV, with the ratio to the baseline (bench.csv).
[[nodiscard]] std::string bench_csv(const std::vector<bench_cell>& cells,
                                    const bench_config& config);
/// Every figure of the other phases, one a row: phase,target,figure,value,unit
/// (bench-figures.csv).
[[nodiscard]] std::string figures_csv(const bench_results& results);
/// The targets as CSV: figure,target,measured,met (bench-targets.csv).
[[nodiscard]] std::string targets_csv(const std::vector<target_check>& checks);

}  // namespace primeloop::bench
