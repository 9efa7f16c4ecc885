#pragma once
/// /proc/<pid>/stat read once for the whole project: a process's state, parent, group and CPU
/// ticks, and the processes found by them (a server's group, a pool's workers).
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace primeloop::harness {

/// The fields of /proc/<pid>/stat the project reads.
struct proc_stat {
  char state = '?';         ///< 'R' running, 'S' sleeping, 'Z' zombie, ...
  pid_t ppid = 0;           ///< parent
  pid_t pgrp = 0;           ///< process group
  std::uint64_t utime = 0;  ///< user CPU, clock ticks, every thread
  std::uint64_t stime = 0;  ///< system CPU, clock ticks, every thread
  /// utime + stime.
  [[nodiscard]] std::uint64_t cpu_ticks() const { return utime + stime; }
  /// True unless a zombie (or dead): it still runs and holds resources.
  [[nodiscard]] bool living() const { return state != 'Z' && state != 'X'; }
};

/// Parses the text of /proc/<pid>/stat. The command name, in parentheses, may hold spaces and
/// parentheses, so the fields are counted from the last ')'. nullopt when malformed.
[[nodiscard]] std::optional<proc_stat> parse_proc_stat(std::string_view text);

/// Reads /proc/<pid>/stat; nullopt when the process is gone (reaped).
[[nodiscard]] std::optional<proc_stat> read_proc_stat(pid_t pid);

/// Clock ticks (of utime and stime) as a duration.
[[nodiscard]] std::chrono::nanoseconds ticks_to_duration(std::uint64_t ticks);

/// The processes whose stat matches pred (every numeric entry of /proc), in ascending order.
template <class Pred>
[[nodiscard]] std::vector<pid_t> find_processes(Pred pred);

/// Every process id listed in /proc now.
[[nodiscard]] std::vector<pid_t> all_pids();

/// Process ids of the living (not zombie) members of a process group.
[[nodiscard]] std::vector<pid_t> living_group_members(pid_t pgid);

/// The children of parent: living ones, or with zombies = true the zombies only.
[[nodiscard]] std::vector<pid_t> children_of(pid_t parent, bool zombies = false);

template <class Pred>
std::vector<pid_t> find_processes(Pred pred) {
  std::vector<pid_t> out;
  for (const pid_t pid : all_pids()) {
    const auto st = read_proc_stat(pid);
    if (st && pred(*st)) out.push_back(pid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace primeloop::harness
