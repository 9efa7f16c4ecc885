#pragma once
/// The processes policy: a pool of worker processes forked at start-up, each joined to the loop
/// by a socket pair and driven with asynchronous reads and writes from the loop thread. The pool
/// has no threads. It heals: a dead worker is replaced, its request answered with an error and
/// the requests queued behind it are sent elsewhere.
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include <asio/local/stream_protocol.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "executors/executor_policy.hpp"
#include "executors/process_worker.hpp"

namespace primeloop::executors {

/// A pre-forked pool of worker processes.
class process_pool_executor {
 public:
  static constexpr std::string_view name = "processes";

  /// Forks resolve_workers(config) workers. Call before any other thread starts.
  ///
  /// Fault injection for tests: when the environment variable PRIMELOOP_TEST_WORKER_EXIT is set
  /// to 1, every worker exits right after fork, before serving anything, so the tests can show
  /// the back-off instead of a fork storm (docs/architecture.md, "The process pool's life
  /// cycle"). Nothing else reads it.
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

  struct job {
    std::uint64_t n = 0;
    result_sink* sink = nullptr;
    std::uint64_t tag = 0;
    clock::time_point deadline = clock::time_point::max();
    bool cheap = true;
    bool dropped = false;  // nobody wants the reply; it is discarded
  };
  enum class kill_reason { none, cancelled, timeout, stopping };
  struct worker;

  void spawn(std::size_t slot);
  /// Spawns a replacement for a dead worker now or after `delay`; retries with back-off when
  /// fork itself fails.
  void respawn(const std::shared_ptr<worker>& dead, clock::duration delay);
  void start_read(const std::shared_ptr<worker>& w);
  void on_replies(const std::shared_ptr<worker>& w, std::size_t bytes);
  void on_death(const std::shared_ptr<worker>& w);
  void kill(worker& w, kill_reason why);
  void pump();
  void schedule_flush();
  void flush(const std::shared_ptr<worker>& w);
  void reap();
  void wait_sigchld();
  void arm_deadline_timer();
  /// Answers ERR timeout to queued requests past their deadline; true if any was removed.
  bool expire_queued(clock::time_point now);
  [[nodiscard]] bool dispatchable(const worker& w, const job& j) const;

  asio::any_io_executor loop_;
  workload work_;
  std::size_t queue_limit_;
  std::chrono::milliseconds timeout_;
  int nice_;
  std::uint64_t cheap_below_n_;  // about a millisecond of work: such requests may queue in a worker
  pid_t parent_pid_;
  bool fail_at_start_;  // test-only fault injection, see the constructor

  std::vector<std::shared_ptr<worker>> workers_;  // one per slot; a dead one while backing off
  std::vector<pid_t> children_;                   // forked and not reaped yet
  std::deque<job> cheap_queue_;                   // waiting for a worker, FIFO per class
  std::deque<job> costly_queue_;
  asio::signal_set sigchld_;
  asio::steady_timer deadline_timer_;
  bool flush_posted_ = false;
  bool deadline_armed_ = false;
  bool stopped_ = false;
  std::uint64_t respawns_ = 0;
};

static_assert(executor_policy<process_pool_executor>);

}  // namespace primeloop::executors
