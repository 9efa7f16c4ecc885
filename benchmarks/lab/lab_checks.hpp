#pragma once
/// What the lab checks around a run: a long request the server would refuse, a column whose
/// figures cannot be trusted, a busy machine, and where this run's files go.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::lab {

/// Why the long request cannot run on the server that printed listening_line: its n is above
/// the max-n the line announces. The message names the limit and the flag that raises it; empty
/// when the line has no max-n (nothing to check) or long_n fits.
[[nodiscard]] std::string long_n_refusal(std::string_view listening_line, std::uint64_t long_n);

/// Why a run's figures are not valid, in words ("2 connections failed: long request n=... answered
/// 'ERR ...'"); empty when it ran as it should. A failed start, a connection that ended early and
/// a long request answered with ERR all fail the column.
[[nodiscard]] std::string run_failure(const executor_run& run);

/// Prints one line to out for each failed column ("primeloop-lab: column inline failed: ...");
/// 1 when any failed, else 0: the lab's exit status.
[[nodiscard]] int report_failures(const std::vector<executor_summary>& rows, std::FILE* out);

/// The warning the lab prints when other work competes for the cores: the 1-minute load average
/// is above cpus - 1. Empty otherwise.
[[nodiscard]] std::string noisy_machine_warning(double load_1min, long cpus);
/// The 1-minute load average of a /proc/loadavg line ("0.52 0.61 ..."); 0 when it has none.
[[nodiscard]] double first_load_average(std::string_view loadavg);

/// Where a run without --out writes: `base` when it does not exist or is empty, otherwise a new
/// folder beside it named after the time ("lab-results-20261203-194512"), so that no earlier
/// results are overwritten.
[[nodiscard]] std::filesystem::path fresh_out_dir(const std::filesystem::path& base);

}  // namespace primeloop::lab
