#pragma once
/// SIGINT, SIGTERM and SIGHUP (all three drain), taken by a thread of their own; SIGUSR1 is
/// taken and ignored. The loop may be frozen (an inline
/// computation) or waiting a whole switch interval for the interpreter-lock model: a signal must
/// still be seen at once. The watcher blocks nothing itself: every thread of the server blocks
/// both signals from the start (termination_signals_blocked), and the watcher takes them with
/// sigtimedwait.
#include <atomic>
#include <functional>
#include <thread>

#include "executors/executor_policy.hpp"

namespace primeloop {

/// Blocks SIGINT and SIGTERM in the thread that constructs it, and so in every thread started
/// after it. The server's first member: it must come before any thread exists.
struct termination_signals_blocked {
  termination_signals_blocked();
};

/// Waits for SIGINT/SIGTERM on its own thread and reports each one.
class signal_watcher {
 public:
  /// Called on the watcher's thread with the signal and how many came so far (1, 2, ...).
  using handler = std::function<void(int sig, int count)>;

  /// Records the first signal in `flag` (which policies read), then calls on_signal.
  signal_watcher(executors::shutdown_flag& flag, handler on_signal);
  ~signal_watcher();
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;

 private:
  void run(std::stop_token stop);

  executors::shutdown_flag& flag_;
  handler on_signal_;
  std::jthread thread_;  // last: starts after everything it reads
};

}  // namespace primeloop
