#pragma once
/// The bench's phases, one file each, and what they share; run_bench (bench.cpp) calls them in
/// order. Internal to the bench: the public interface is bench.hpp.
#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/bench/bench.hpp"
#include "benchmarks/harness/server_child.hpp"
#include "core/report_format.hpp"

namespace primeloop::bench::detail {

/// How long a child server has to print its listening line.
inline constexpr std::chrono::seconds start_deadline{10};
/// SIGTERM to SIGKILL: an inline server computing the long request cannot answer SIGTERM.
inline constexpr std::chrono::seconds stop_grace{2};

/// A progress callback: one line of progress after each measurement.
using progress_fn = std::function<void(const std::string&)>;

/// The primeloop-server children, one per column, started once for every phase that needs them.
struct column_servers {
  std::vector<std::unique_ptr<harness::server_child>> servers;  ///< in column order
  std::vector<bool> stopped;                                    ///< true once a phase stopped it
};

/// Small requests against the baseline and each column, best of interleaved rounds.
asio::awaitable<void> throughput_phase(const bench_config& config, harness::server_child& baseline,
                                       column_servers& columns, bench_results& results,
                                       const progress_fn& progress);
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
/// The server's sieve against primesieve.
asio::awaitable<void> sieve_phase(const bench_config& config, bench_results& results,
                                  const progress_fn& progress);

/// The server's fast workload against primecount.
asio::awaitable<void> fast_phase(const bench_config& config, bench_results& results,
                                 const progress_fn& progress);

}  // namespace primeloop::bench::detail
