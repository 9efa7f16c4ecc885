#pragma once
/// The processes policy: a pool of worker processes forked at start-up, each joined to the loop
/// by a socket pair and driven with asynchronous reads and writes from the loop thread. The pool
/// has no threads. It heals: a dead worker is replaced, its request answered with an error and
/// the requests queued behind it are sent elsewhere. Three named parts do the work:
/// worker_process (fork, socket, records, kill), process_reaper (waitpid on our own children)
/// and process_scheduler (per-connection queues, batching, deadlines); this class is their life
/// cycle: start, death, replacement with back-off, stop.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <span>
#include <vector>

#include <asio/steady_timer.hpp>

#include "executors/executor_policy.hpp"
#include "executors/process_reaper.hpp"
#include "executors/process_scheduler.hpp"
#include "executors/worker_process.hpp"

namespace primeloop::executors {

/// A pre-forked pool of worker processes.
class process_pool_executor final : private worker_process::listener {
 public:
  static constexpr std::string_view name = "processes";

  /// Forks resolve_workers(config) workers. Call before any other thread starts.
  /// config.worker_start_hook (tests only) runs first in every worker.
  process_pool_executor(asio::any_io_executor loop, const executor_config& config);
  ~process_pool_executor();
  process_pool_executor(const process_pool_executor&) = delete;
  process_pool_executor& operator=(const process_pool_executor&) = delete;

  bool submit(std::uint64_t n, result_sink& sink, std::uint64_t tag);
  void cancel_all(result_sink& sink);
  void abort_all(errc e);
  /// Kills every worker (SIGKILL) and reaps it: no process or zombie is left.
  void stop();
  [[nodiscard]] pool_stats stats() const;

  /// The worker processes' ids now (for tests and diagnostics); 0 for a slot being respawned.
  [[nodiscard]] std::vector<pid_t> worker_pids() const;

 private:
  using clock = std::chrono::steady_clock;

  /// One place in the pool, and the worker that holds it (a dead one while backing off).
  struct slot {
    explicit slot(const asio::any_io_executor& ex) : respawn_timer(ex) {}
    std::shared_ptr<worker_process> proc;
    asio::steady_timer respawn_timer;
    bool answered = false;  // its worker has sent at least one reply: it started fine
    int fast_deaths = 0;    // consecutive start-up failures
  };

  void on_replies(worker_process& w, std::span<const worker_process::reply> replies) override;
  void on_exit(worker_process& w) override;
  /// Forks a worker into slot i; throws when fork or socketpair fails.
  void spawn(std::size_t i);
  /// Spawns a replacement into slot i now or after `delay`; retries with back-off when fork
  /// itself fails.
  void respawn(std::size_t i, clock::duration delay);

  asio::any_io_executor loop_;
  worker_process::start_options start_;
  process_reaper reaper_;  // before the first fork: it listens for SIGCHLD
  process_scheduler scheduler_;
  std::vector<std::unique_ptr<slot>> slots_;
  std::uint64_t crashes_ = 0;
  std::uint64_t cancel_kills_ = 0;
  bool stopped_ = false;
};

static_assert(executor_policy<process_pool_executor>);

}  // namespace primeloop::executors
