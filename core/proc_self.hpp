#pragma once
/// The fields of /proc/self/stat and /proc/stat that Prometheus' process_* metrics are made of,
/// parsed from their text (the reading is server/process_metrics.cpp's): pure, so a test can
/// feed it any line, a comm with spaces and parentheses included.
#include <cstdint>
#include <optional>
#include <string_view>

namespace primeloop {

/// What /proc/<pid>/stat says, in the kernel's units (clock ticks, pages).
struct proc_stat_fields {
  std::uint64_t utime_ticks = 0;      ///< field 14: user CPU time
  std::uint64_t stime_ticks = 0;      ///< field 15: system CPU time
  std::uint64_t starttime_ticks = 0;  ///< field 22: start, after boot
  std::uint64_t rss_pages = 0;        ///< field 24: resident set size
};

/// The fields of one /proc/<pid>/stat line, or nullopt when it is not one. The comm (field 2)
/// may hold spaces and ')': the fields after it are counted from its last ')'.
[[nodiscard]] std::optional<proc_stat_fields> parse_proc_pid_stat(std::string_view line) noexcept;

/// The boot time (the "btime" line of /proc/stat) in seconds since the epoch, or nullopt.
[[nodiscard]] std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) noexcept;

}  // namespace primeloop
