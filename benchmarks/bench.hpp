#pragma once
/// The throughput benchmark: small requests (n = 1) against the baseline server and each
/// executor at several connection counts, all in one run, reported as ratios of the baseline;
/// and the cost of one offload round trip per executor (one connection, mean latency).
#include <asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace primeloop::lab {

/// What the benchmark runs.
struct bench_config {
  std::vector<std::string> executors{"inline", "threads", "processes"};  ///< after the baseline
  std::vector<unsigned> connection_counts{1, 16, 64};  ///< one measurement per count and target
  unsigned duration_s = 1;                             ///< measured seconds per cell and round
  unsigned rounds = 3;                                 ///< each cell keeps its best round
  std::chrono::milliseconds warmup{300};               ///< load before each cell, not counted
  unsigned depth = 1;                                  ///< pipelining depth
  std::optional<unsigned> workers;                     ///< server --workers
  std::filesystem::path server;                        ///< primeloop-server
  std::filesystem::path baseline;                      ///< primeloop-baseline
  std::vector<std::string> server_flags;               ///< extra flags for every server
  std::filesystem::path out_dir = "lab-results";       ///< where bench.csv and logs go
  std::string command;                                 ///< quoted in the outputs
};

/// One measurement: one target at one connection count.
struct bench_cell {
  std::string target;  ///< "baseline" or an executor
  unsigned connections = 0;
  unsigned round = 0;                                ///< the round this measurement comes from
  double rps = 0;                                    ///< small requests answered per second
  std::chrono::nanoseconds mean{0}, p50{0}, p99{0};  ///< their latency
  std::string error;                                 ///< non-empty when the measurement failed
};

/// Runs every cell; progress(cell) is called after each one. The servers all start first and
/// stay up (idle when not measured), so each connection count compares them back to back.
[[nodiscard]] asio::awaitable<std::vector<bench_cell>> run_bench(
    const bench_config& config, std::function<void(const bench_cell&)> progress);

/// The throughput table (req/s and ratio of the baseline) and the offload round-trip costs.
[[nodiscard]] std::string format_bench(const std::vector<bench_cell>& cells,
                                       const bench_config& config);
/// The cells as CSV, with the ratio to the baseline.
[[nodiscard]] std::string bench_csv(const std::vector<bench_cell>& cells,
                                    const bench_config& config);

}  // namespace primeloop::lab
