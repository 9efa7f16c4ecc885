#pragma once
/// Helpers the bench's report and its targets (bench_report.cpp, bench_targets.cpp) share.
/// Internal to the bench.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/bench/bench.hpp"
#include "core/report_format.hpp"

namespace primeloop::bench::detail {

/// The executor a column runs ("threads" for "threads+nice19").
[[nodiscard]] std::string base_executor(const std::string& column);
/// KiB to MiB.
[[nodiscard]] double mib(std::uint64_t kib);
/// The cell of target at connections that did not fail, or nullptr.
[[nodiscard]] const bench_cell* find(const std::vector<bench_cell>& cells,
                                     const std::string& target, unsigned connections);
/// c's req/s as a ratio of the baseline's at the same connections, when both were measured.
[[nodiscard]] std::optional<double> ratio(const std::vector<bench_cell>& cells,
                                          const bench_cell& c);
/// s quoted for CSV (RFC 4180, the same quoting as every report of the project).
using primeloop::csv_field;

}  // namespace primeloop::bench::detail
