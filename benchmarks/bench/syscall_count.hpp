#pragma once
/// The system calls a server makes per small request: strace -c -f on the server's processes
/// while connections ping-pong n = 1 requests, each call's count divided by the requests
/// answered. The bare epoll server (primeloop-baseline) makes one read and one write per
/// request; what a column makes beyond that is what its loop and its executor cost.
#include <asio/awaitable.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace primeloop::bench {

/// One system call's line of an strace -c summary.
struct syscall_tally {
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;  ///< of those, the failed ones (EAGAIN reads, say)
};

/// The calls by name of an strace -c summary (its table; the total line is left out). Lines
/// that are not rows of the table are ignored.
[[nodiscard]] std::map<std::string, syscall_tally> parse_strace_summary(std::string_view text);

/// One server's system calls per request.
struct syscall_cell {
  std::string target;                          ///< "baseline" or a column
  std::uint64_t requests = 0;                  ///< small requests answered while strace counted
  std::map<std::string, syscall_tally> calls;  ///< every call strace counted, by name
  std::string error;  ///< non-empty when the measurement failed or was skipped

  /// Calls (of every name when name is empty) per request; 0 without requests.
  [[nodiscard]] double per_request(std::string_view name = {}) const;
};

/// What the phase measures and with what.
struct syscall_config {
  std::filesystem::path strace;   ///< the command; empty: not found, the phase says so
  unsigned connections = 16;      ///< ping-pong connections, n = 1
  unsigned duration_s = 2;        ///< seconds of load while strace counts
  std::filesystem::path out_dir;  ///< where the summaries and strace's logs go
};

/// One target: its name and its command line (argv[0] a path).
struct syscall_target {
  std::string name;
  std::vector<std::string> argv;
};

/// Starts each target in turn, attaches strace -c -f to its processes (pool workers too),
/// drives it with clients::run_load and reads the summary. A target that fails has its error
/// set; without strace every cell says why and nothing runs.
[[nodiscard]] asio::awaitable<std::vector<syscall_cell>> measure_syscalls(
    const syscall_config& config, const std::vector<syscall_target>& targets,
    const std::function<void(const std::string&)>& progress);

/// The table: per target, the calls per request in total and by name (the names that reach
/// 0.01 per request somewhere), and the failed ones among them.
[[nodiscard]] std::string format_syscalls(const std::vector<syscall_cell>& cells,
                                          const syscall_config& config);

}  // namespace primeloop::bench
