#pragma once
/// A stand-in for a long computation: one child process that keeps one core busy.
///
/// On a machine whose idle cores halt, a request that has to wake another core costs more than
/// one whose core is already running. A server measured before a long request (cores idle) and
/// during it (one core busy with the long computation) is then measured under two different
/// conditions, and a pool can look faster during the long request than before it. The lab and
/// the bench keep one core busy with this stand-in while they measure "before", and stop it at
/// the moment the long request is sent, so both phases run with one busy core (docs/lessons.md).
#include <sys/types.h>

#include <chrono>

namespace primeloop::harness {

/// One spinning child process. Starting it forks and execs /bin/sh running an empty loop (it
/// inherits no descriptor but a pipe, and dies with its parent); destroying it kills it.
class busy_core {
 public:
  /// Starts the child at niceness nice (the long computation's: the server's --worker-nice) and
  /// waits up to deadline until it says it is spinning. Throws std::runtime_error when it cannot
  /// be started or does not say so in time.
  explicit busy_core(int nice = 0, std::chrono::milliseconds deadline = std::chrono::seconds{5});
  ~busy_core();
  busy_core(const busy_core&) = delete;
  busy_core& operator=(const busy_core&) = delete;

  /// Its process id (-1 once stopped).
  [[nodiscard]] pid_t pid() const { return pid_; }
  /// Kills the child with SIGKILL and reaps it; afterwards nothing of it runs. Safe to call
  /// more than once.
  void stop() noexcept;

 private:
  pid_t pid_ = -1;
};

}  // namespace primeloop::harness
