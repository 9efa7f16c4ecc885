#pragma once
/// What an executor policy is: the one place that decides where the CPU work of a request runs.
/// The server is a template over a type that satisfies executor_policy; --executor picks the
/// instantiation (server/main.cpp).
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <asio/any_io_executor.hpp>

#include "core/errc.hpp"
#include "core/workloads.hpp"

namespace primeloop::executors {

class gil;

/// The result of one computation: the prime, or why there is none.
struct outcome {
  std::uint64_t value = 0;
  errc error{};  ///< errc{} on success
};

/// Receives results. Implemented by the connection; called only on the loop thread.
class result_sink {
 public:
  /// The computation submitted with this tag finished (or failed). Called once per accepted
  /// submission unless cancel_all(*this) came first. May be called before submit() returns:
  /// the process pool answers ERR timeout to queued requests past their deadline whenever it
  /// dispatches, inside submit() too; computed answers come from a later loop event.
  virtual void on_result(std::uint64_t tag, outcome result) = 0;

 protected:
  ~result_sink() = default;
};

/// One accepted request as a policy keeps it until its answer: the connection that wants it,
/// the tag it gave, and when its --request-timeout runs out (max(): no limit).
struct submission {
  std::uint64_t n = 0;
  result_sink* sink = nullptr;
  std::uint64_t tag = 0;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

/// Counters the stats line prints.
struct pool_stats {
  std::size_t queued = 0;          ///< accepted, not started
  std::size_t busy = 0;            ///< workers computing now
  std::size_t workers = 0;         ///< pool size (1 for inline: the loop itself)
  std::uint64_t crashes = 0;       ///< workers that died without being asked to (each is respawned)
  std::uint64_t cancel_kills = 0;  ///< workers killed on purpose to stop a request (gone client,
                                   ///< --request-timeout); each is respawned, not a crash
};

/// Set once by the server's signal watcher when SIGINT/SIGTERM arrives; read by computations
/// that cannot wait for the loop to tell them (inline), from any thread.
struct shutdown_flag {
  std::atomic<bool> requested{false};
  std::atomic<std::chrono::steady_clock::rep> at_ns{0};  ///< when, steady_clock ticks
};

/// Settings every policy reads; each uses the ones that mean something to it.
struct executor_config {
  workload work = workload::naive;
  std::size_t workers = 0;           ///< 0: one per core
  std::size_t queue_limit = 10'000;  ///< requests waiting for a worker, past it ERR busy
  /// Requests one connection may have in the pool (waiting or computing), past it ERR busy for
  /// that connection only; 0: max(1, queue_limit / 4) + workers (connection_share.hpp).
  std::size_t connection_limit = 0;
  std::chrono::milliseconds request_timeout{0};  ///< 0: no limit
  std::chrono::milliseconds grace{2'000};        ///< shutdown: time left to work in flight (inline)
  const shutdown_flag* shutdown = nullptr;  ///< null: no signal watcher (tests of a pool alone)
  int worker_nice = 0;  ///< niceness of costly computations (costly_priority.hpp)
  gil* lock = nullptr;  ///< the interpreter-lock model the loop shares (--gil); null: off
  /// adaptive_executor: requests whose estimated_cost is below this many steps are computed on
  /// the loop, the rest go to the pool (--offload-above); 0: every request goes to the pool.
  double offload_above = 0;
  /// Tests only: runs first in every forked worker process (processes), e.g. to make workers
  /// fail at start-up. Null in the server.
  void (*worker_start_hook)() = nullptr;
};

/// A policy is constructed on the loop's executor before the loop runs, then driven only from
/// the loop thread. Two promises callers rely on: sink.on_result may run inside submit()
/// (before it returns), so a caller must be ready for the result before it calls; and stop()
/// may be called more than once (the server calls it when the last connection closes and again
/// when the loop returns), the calls after the first doing nothing.
template <class P>
concept executor_policy =
    std::constructible_from<P, asio::any_io_executor, const executor_config&> &&
    requires(P& p, const P& cp, std::uint64_t n, result_sink& sink, std::uint64_t tag, errc e) {
  { P::name } -> std::convertible_to<std::string_view>;
  /// Starts computing the nth prime; false when the queue is full (nothing will be called).
  { p.submit(n, sink, tag) } -> std::same_as<bool>;
  /// Drops every computation of sink: queued ones are removed, running ones are stopped
  /// (cooperatively, or by killing the worker process); sink hears nothing more.
  { p.cancel_all(sink) } -> std::same_as<void>;
  /// Completes every outstanding computation now with error e (shutdown past the grace).
  { p.abort_all(e) } -> std::same_as<void>;
  /// Stops the workers and waits for them: no thread or process is left.
  { p.stop() } -> std::same_as<void>;
  { cp.stats() } -> std::same_as<pool_stats>;
};

/// The number of workers a config asks for, with 0 meaning one per core.
[[nodiscard]] std::size_t resolve_workers(const executor_config& config) noexcept;

}  // namespace primeloop::executors
