#pragma once
/// primeloop-lab as a command: its flags, and a run with the live table on stdout, the summary
/// and the files. The executable's main only calls these two.
#include <optional>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::lab {

/// Parses primeloop-lab's flags. Returns nullopt when the program should exit (--help, a bad
/// flag, no server binary) with exit_code set.
[[nodiscard]] std::optional<lab_config> parse_lab_flags(int argc, char** argv, int& exit_code);

/// Runs the lab on one io_context (SIGINT/SIGTERM stop it and its server), prints the summary and
/// writes the files. Returns the exit status: 0, 1 when an executor's run failed, 130 when
/// interrupted.
[[nodiscard]] int run_lab_command(const lab_config& config);

}  // namespace primeloop::lab
