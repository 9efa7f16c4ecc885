#pragma once
/// primeloop-bench as a command: its flags, and a run that prints every table and the targets,
/// and writes bench.csv, bench-figures.csv, bench-targets.csv and bench.txt. The executable's main
/// only calls these two.
#include <optional>

#include "benchmarks/bench/bench.hpp"

namespace primeloop::bench {

/// Parses primeloop-bench's flags. Returns nullopt when the program should exit (--help, a bad
/// flag, a missing binary) with exit_code set.
[[nodiscard]] std::optional<bench_config> parse_bench_flags(int argc, char** argv, int& exit_code);

/// Runs the benchmark on one io_context (SIGINT/SIGTERM stop it and its servers), prints the
/// table and writes the files. Returns the exit status (130 when interrupted).
[[nodiscard]] int run_bench_command(const bench_config& config);

}  // namespace primeloop::bench
