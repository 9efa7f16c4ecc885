#pragma once
// What the pool's end-to-end tests share: the server's worker processes found in /proc,
// clients that reset, and the replies the pools give.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "benchmarks/harness/proc_stat.hpp"
#include "core/workloads.hpp"
#include "test_support.hpp"

namespace primeloop::test {

using harness::children_of;
using harness::proc_stat;

/// /proc/<pid>/stat of a process, nullopt once it is reaped.
inline std::optional<proc_stat> read_stat(pid_t pid) {
  return harness::read_proc_stat(pid);
}

/// True while pid runs; a zombie has stopped running and holds nothing but its entry.
inline bool alive(pid_t pid) {
  const auto st = read_stat(pid);
  return st && st->living();
}

/// The server's worker processes once there are `count` of them, none of them in `gone`.
inline std::vector<pid_t> wait_workers(const server_process& s, std::size_t count,
                                       const std::vector<pid_t>& gone = {}) {
  std::vector<pid_t> now;
  const bool ok = eventually([&] {
    now = children_of(s.proc.pid());
    return now.size() == count && std::none_of(now.begin(), now.end(), [&](pid_t p) {
             return std::find(gone.begin(), gone.end(), p) != gone.end();
           });
  });
  return ok ? now : std::vector<pid_t>{};
}

/// True once pid's CPU time grows by less than a third of the wall time over 300 ms or more:
/// nothing computes there any more.
inline bool cpu_settles(pid_t pid, milliseconds deadline = default_deadline) {
  const auto cpu = [pid] {
    return harness::ticks_to_duration(read_stat(pid).value_or(proc_stat{}).cpu_ticks());
  };
  auto since = std::chrono::steady_clock::now();
  auto before = cpu();
  return eventually(
      [&] {
        const auto now = std::chrono::steady_clock::now();
        const auto wall = now - since;
        if (wall < 300ms) return false;
        const auto used = cpu() - before;
        if (used * 3 < wall) return true;
        since = now;
        before += used;
        return false;
      },
      deadline);
}

/// True when the server refuses new connections (its acceptor is closed).
inline bool refuses_connections(std::uint16_t port) {
  try {
    line_client c(port);
    // Accepted into the backlog before the close: the close resets it.
    return c.wait_closed(2s);
  } catch (const std::system_error&) {
    return true;
  }
}

inline std::string nth_prime(std::uint64_t n) {
  return std::to_string(*primeloop::nth_prime(primeloop::workload::sieve, n));
}

/// The server's report of a worker that died on its own (not killed by the pool).
inline std::string died_report(pid_t pid) {
  return "(pid " + std::to_string(pid) + ") died";
}

/// primeloop-server with one worker (--executor `executor` --workers 1, a stats line every
/// 20 ms, then `flags`) and a client whose request holds that worker. Constructed once the stats
/// line shows the worker busy; throws when it does not before the deadline.
struct one_busy_worker {
  one_busy_worker(const std::string& executor, const std::vector<std::string>& flags,
                  std::string_view request)
      : server(start_server(with_one_worker(executor, flags))), holder(server.port) {
    holder.send(request);
    if (!server.proc.wait_for_line("busy 1/1")) {
      throw std::runtime_error("the only worker did not start computing " + std::string(request));
    }
  }

  server_process server;
  line_client holder;

 private:
  static std::vector<std::string> with_one_worker(const std::string& executor,
                                                  const std::vector<std::string>& flags) {
    std::vector<std::string> all{"--executor", executor,           "--workers",
                                 "1",          "--stats-interval", "0.02"};
    all.insert(all.end(), flags.begin(), flags.end());
    return all;
  }
};

inline const std::string died = "ERR worker died while computing this request";
inline const std::string timed_out = "ERR timeout: the request ran over the server's time limit";
inline const std::string shutting_down = "ERR shutting down: the answer was not ready in time";

// naive n = 50000 takes many seconds of CPU: it is still computing whenever a test acts on it.
inline const std::string long_request = "50000\n";

}  // namespace primeloop::test
