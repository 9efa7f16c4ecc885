#pragma once
/// A server run as a child process for the lab: started in its own process group, its output
/// copied to a log file, its port read from its first line, and stopped so that nothing of it
/// is left running (SIGTERM, then SIGKILL to the whole group after a grace period).
#include <sys/types.h>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/harness/proc_stat.hpp"

namespace primeloop::harness {

/// How a child server ended.
struct stop_outcome {
  int exit_status = -1;      ///< its exit code, or 128 + the signal that ended it
  bool killed = false;       ///< it did not exit within the grace period after SIGTERM
  bool left_behind = false;  ///< processes of its group were alive after it exited (then killed)
  std::chrono::milliseconds took{0};  ///< from SIGTERM to the end of the whole group
  /// "exit 0 in 12 ms", "killed: no exit 3000 ms after SIGTERM", ...
  [[nodiscard]] std::string describe() const;
};

/// One server process. Starting it forks and execs argv[0]; destroying it kills its process
/// group if it is still running.
class server_child {
 public:
  /// Starts argv (argv[0] is the path) with stdout and stderr in one pipe copied to log_path.
  server_child(const asio::any_io_executor& ex, std::vector<std::string> argv,
               const std::string& log_path);
  ~server_child();
  server_child(const server_child&) = delete;
  server_child& operator=(const server_child&) = delete;

  /// Waits for the "listening on HOST:PORT ..." line; throws std::runtime_error with what the
  /// server printed when it exits first or the deadline passes.
  asio::awaitable<void> wait_listening(std::chrono::milliseconds deadline);
  /// The port from the first line (after wait_listening).
  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// The HTTP port from the "http listening on HOST:PORT" line a server started with
  /// --http-port prints after its first line (wait_listening waits for it too); 0 without.
  [[nodiscard]] std::uint16_t http_port() const { return http_port_; }
  /// The whole first line.
  [[nodiscard]] const std::string& first_line() const { return first_line_; }
  /// The command line it was started with.
  [[nodiscard]] const std::vector<std::string>& argv() const { return argv_; }
  /// Its process id, which is also its process group's.
  [[nodiscard]] pid_t pid() const { return pid_; }
  /// The worst loop lag its stats lines reported since the last reset_lag (parse_stats_lag);
  /// nullopt when none said anything of lag.
  [[nodiscard]] std::optional<std::chrono::nanoseconds> worst_lag() const;
  /// Forgets the lag seen so far: worst_lag then covers what comes after.
  void reset_lag();
  /// Sends SIGTERM, waits up to grace for the server to exit, then kills what is left of its
  /// process group. Safe to call once; afterwards nothing of the server runs.
  asio::awaitable<stop_outcome> stop(std::chrono::milliseconds grace);

 private:
  struct output;
  asio::any_io_executor ex_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::vector<std::string> argv_;
  std::shared_ptr<output> out_;  // shared with the coroutine that copies output to the log
  std::uint16_t port_ = 0;
  std::string first_line_;
  bool wants_http_ = false;  // started with --http-port: wait_listening waits for its line too
  std::uint16_t http_port_ = 0;
};

}  // namespace primeloop::harness
