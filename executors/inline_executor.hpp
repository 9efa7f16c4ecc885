#pragma once
/// The inline policy: the computation runs on the loop thread and blocks it. Every other client
/// waits until it is done: that is the lesson. Between two computations the loop serves all its
/// ready I/O and the connections take turns, a newcomer first (fair_queue), so one client's
/// backlog does not hold up a newcomer for longer than the computation under way, and a client
/// that leaves is noticed, and its queued work dropped, before the next one starts.
#include <chrono>
#include <cstdint>

#include "executors/connection_share.hpp"
#include "executors/executor_policy.hpp"
#include "executors/fair_queue.hpp"

namespace asio {
class io_context;
}  // namespace asio

namespace primeloop::executors {

/// Computes on the loop's thread, one connection's turn per loop event.
class inline_executor {
 public:
  static constexpr std::string_view name = "inline";

  inline_executor(asio::any_io_executor loop, const executor_config& config);

  /// Queues the request in its connection's lane; a later loop event computes it. False when
  /// the queue or the connection's share is full.
  bool submit(std::uint64_t n, result_sink& sink, std::uint64_t tag);
  /// Drops sink's queued requests (none is computing: the loop would not be running).
  void cancel_all(result_sink& sink);
  void abort_all(errc e);
  void stop();
  /// The loop itself is the only worker; the queue is what waits for it.
  [[nodiscard]] pool_stats stats() const { return {.queued = queue_.size(), .workers = 1}; }

 private:
  using request = submission;

  /// One loop event: one costly computation, or cheap ones up to about a millisecond of work,
  /// taken in turns across connections; then the loop's ready I/O; then the next turn is posted.
  void run_turn();
  void compute_turn();
  /// Runs the loop's ready handlers (a nested poll) until none is left.
  void serve_io();
  void post_turn();
  void answer(const request& r, outcome result);

  asio::any_io_executor loop_;
  asio::io_context* io_ = nullptr;  // the loop's context, when loop_ is an io_context's
  workload work_;
  std::size_t queue_limit_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds grace_;
  const shutdown_flag* shutdown_;
  gil* lock_;  // --gil: a turn is a loop event and computes under it, handing it over on request
  fair_queue<request> queue_;
  connection_share shares_;
  bool turn_posted_ = false;
  bool in_turn_ = false;  // submits during serve_io() queue; the turn posts the next one
  bool stopped_ = false;
};

static_assert(executor_policy<inline_executor>);

}  // namespace primeloop::executors
