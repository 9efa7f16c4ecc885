#pragma once
/// Collects the exit status of the process pool's own children, and of no other child of the
/// server: on SIGCHLD it asks waitpid about each of its pids in turn, never about "any child".
/// Signals merge (one SIGCHLD may stand for several deaths), so every pid is asked each time.
#include <sys/types.h>

#include <functional>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/signal_set.hpp>

namespace primeloop::executors {

/// Reaps the children it is told about. Loop thread only.
class process_reaper {
 public:
  /// `reaped` is called on the loop thread with each pid collected.
  process_reaper(asio::any_io_executor loop, std::function<void(pid_t)> reaped);
  ~process_reaper();
  process_reaper(const process_reaper&) = delete;
  process_reaper& operator=(const process_reaper&) = delete;

  /// A child just forked: reap it when it dies.
  void watch(pid_t pid);
  /// Stops listening for SIGCHLD and waits for every child not reaped yet. Call after killing
  /// them: the waits are then short.
  void wait_all();
  /// Children forked and not reaped yet.
  [[nodiscard]] std::size_t unreaped() const noexcept { return children_.size(); }

 private:
  void wait_signal();
  void reap();

  asio::signal_set sigchld_;
  std::function<void(pid_t)> reaped_;
  std::vector<pid_t> children_;
  bool stopped_ = false;
};

}  // namespace primeloop::executors
