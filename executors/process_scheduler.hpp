#pragma once
/// The process pool's scheduler: which worker computes which request, and when. Requests wait in
/// one lane per connection and connections take turns (fair_queue.hpp); the worker a request
/// goes to is process_placement.hpp's rule, and those dispatched during one pass of the loop
/// reach each worker in one write. It also keeps the deadlines of --request-timeout. It starts
/// and kills no process itself but to stop a request: the pool attaches and detaches workers.
#include <chrono>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include <asio/steady_timer.hpp>

#include "executors/connection_share.hpp"
#include "executors/executor_policy.hpp"
#include "executors/fair_queue.hpp"
#include "executors/process_placement.hpp"
#include "executors/worker_process.hpp"

namespace primeloop::executors {

/// Requests, workers and deadlines of one process pool. Loop thread only.
class process_scheduler {
 public:
  using clock = std::chrono::steady_clock;

  process_scheduler(asio::any_io_executor loop, const executor_config& config, std::size_t slots);
  process_scheduler(const process_scheduler&) = delete;
  process_scheduler& operator=(const process_scheduler&) = delete;

  /// Queues a request in its connection's lane; false when the queue or the connection's share
  /// is full.
  bool submit(std::uint64_t n, result_sink& sink, std::uint64_t tag);
  /// Drops sink's requests: queued ones are removed, those inside workers discarded when they
  /// come back, and a worker computing a costly one is killed (the CPU is free at once).
  void cancel_all(result_sink& sink);
  /// Answers every request, queued or inside a worker, with e.
  void abort_all(errc e);
  /// Forgets everything without answering; no timer is left.
  void stop();

  /// A worker started in its slot: it may take requests.
  void attach(worker_process& w);
  /// The worker died: the request it was computing is answered ERR worker died (or ERR timeout
  /// if it was killed for its deadline, nothing if nobody wants it), and those queued behind it
  /// go back to the front of their connections' lanes, in order.
  void detach(worker_process& w);
  /// Replies from w, in the order its requests were sent.
  void on_replies(worker_process& w, std::span<const worker_process::reply> replies);

  [[nodiscard]] std::size_t queued() const noexcept { return queue_.size(); }
  [[nodiscard]] std::size_t busy() const noexcept;

 private:
  struct job : submission {
    bool cheap = true;
    double cost = 0;       // estimated_cost(work, n)
    bool dropped = false;  // nobody wants the reply; it is discarded
  };
  struct slot {
    worker_process* proc = nullptr;  // null while the pool replaces it
    std::deque<job> in_flight;       // sent, in order; the front is computing
  };

  void dispatch();
  /// The worker that should take j now, if any (place()).
  [[nodiscard]] slot* pick(const job& j);
  void schedule_flush();
  void answer(const job& j, outcome result);
  void arm_deadline_timer();
  /// Answers ERR timeout to queued requests past their deadline.
  void expire_queued(clock::time_point now);

  asio::any_io_executor loop_;
  workload work_;
  std::size_t queue_limit_;
  std::chrono::milliseconds timeout_;
  std::uint64_t cheap_below_n_;  // first_costly_n: such requests may queue inside a worker
  fair_queue<job> queue_;
  connection_share shares_;
  std::vector<slot> slots_;
  std::vector<worker_load> loads_;  // pick(): slots_ as the placement rule sees them
  asio::steady_timer deadline_timer_;
  bool flush_posted_ = false;
  bool deadline_armed_ = false;
  bool stopped_ = false;
};

}  // namespace primeloop::executors
