#pragma once
/// The process metrics every Prometheus client library exports, with their names and meanings
/// (process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, process_max_fds,
/// process_start_time_seconds), read from /proc for this process when asked.
#include <cstdint>
#include <optional>
#include <string>

namespace primeloop {

/// This process's figures, in the units the metrics use.
struct process_figures {
  double cpu_seconds = 0;            ///< user and system CPU time
  std::uint64_t resident_bytes = 0;  ///< resident set size
  std::uint64_t open_fds = 0;        ///< entries of /proc/self/fd
  std::uint64_t max_fds = 0;         ///< the soft RLIMIT_NOFILE
  double start_time_seconds = 0;     ///< since the epoch: btime + starttime / ticks per second
};

/// Reads this process's figures from /proc/self/stat, /proc/stat, /proc/self/fd and the
/// open-file limit; nullopt when /proc cannot be read (not Linux, or no /proc mounted).
[[nodiscard]] std::optional<process_figures> read_process_figures();

/// The five process_* metrics in the text exposition format 0.0.4, each with HELP and TYPE;
/// empty when /proc cannot be read (the metrics are then absent rather than zero).
[[nodiscard]] std::string format_process_metrics();

/// The same, of given figures (for tests).
[[nodiscard]] std::string format_process_metrics(const process_figures& f);

}  // namespace primeloop
