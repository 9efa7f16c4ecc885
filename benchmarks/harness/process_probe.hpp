#pragma once
/// What the benchmark reads about processes: a server's memory, descriptors and CPU time from
/// /proc, and a command run to its end with its wall and CPU time.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>

namespace primeloop::harness {

/// A numeric field of /proc/<pid>/status ("VmRSS" and "VmHWM" in kB, "TracerPid"), or nullopt
/// when absent.
[[nodiscard]] std::optional<std::uint64_t> proc_status_value(pid_t pid, std::string_view field);

/// The number of open descriptors of a process (entries of /proc/<pid>/fd).
[[nodiscard]] std::size_t open_fd_count(pid_t pid);

/// CPU time used so far by every thread of a process, living and ended. Read from
/// /proc/<pid>/task/*/sched (nanoseconds) when the kernel has it, else /proc/<pid>/stat (clock
/// ticks: 10 ms). nullopt when the process is gone.
[[nodiscard]] std::optional<std::chrono::nanoseconds> process_cpu_time(pid_t pid);

/// Wall and CPU time of one piece of work.
struct timing {
  std::chrono::nanoseconds wall{0};  ///< elapsed
  std::chrono::nanoseconds cpu{0};   ///< user + system, all threads
};

/// A command run to its end.
struct command_run {
  std::string output;    ///< its standard output
  int exit_status = -1;  ///< its exit code, or 128 + the signal that ended it
  timing time;           ///< wall from fork to reap; CPU from wait4's rusage
};

/// Runs argv (argv[0] a path) with stdin from /dev/null and stderr inherited, to its end. The
/// loop goes on serving everything else (server children's logs, signals) while the command
/// runs: its output is read asynchronously; its end is awaited with a short back-off on a timer
/// (no descriptor announces it), the wall time taken at the end of its output. Throws
/// std::system_error when it cannot be started.
[[nodiscard]] asio::awaitable<command_run> run_timed(std::vector<std::string> argv);

/// The path of a program found in $PATH, or empty when none is.
[[nodiscard]] std::filesystem::path find_on_path(std::string_view name);

}  // namespace primeloop::harness
