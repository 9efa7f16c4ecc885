#pragma once
/// The threads policy: a fixed pool of threads computes; results come back to the loop thread
/// before any connection sees them. No interpreter lock: small requests keep flowing while a long
/// one computes, as long as there is a free core.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "executors/connection_share.hpp"
#include "executors/executor_policy.hpp"
#include "executors/fair_queue.hpp"
#include "executors/gil.hpp"

namespace primeloop::executors {

/// A pool of std::threads fed from one bounded queue in which connections take turns.
class thread_pool_executor {
 public:
  static constexpr std::string_view name = "threads";

  /// Starts resolve_workers(config) threads.
  thread_pool_executor(asio::any_io_executor loop, const executor_config& config);
  ~thread_pool_executor();
  thread_pool_executor(const thread_pool_executor&) = delete;
  thread_pool_executor& operator=(const thread_pool_executor&) = delete;

  bool submit(std::uint64_t n, result_sink& sink, std::uint64_t tag);
  void cancel_all(result_sink& sink);
  void abort_all(errc e);
  void stop();
  [[nodiscard]] pool_stats stats() const;

 private:
  /// A submission with what its thread and the loop share while it runs.
  struct job : submission {
    std::atomic<bool> stop{false};  // polled by the computation
    bool dropped = false;           // under mutex_: nobody wants the result any more
    outcome result;
  };

  void work(std::size_t index);
  /// Runs on the loop thread, once per pass: moves the staged jobs to the shared queue.
  void publish();
  /// Runs on the loop thread: hands finished jobs to their sinks.
  void deliver();
  job* acquire(std::uint64_t n, result_sink& sink, std::uint64_t tag);
  void recycle(job* j);

  asio::any_io_executor loop_;
  workload work_;
  std::size_t queue_limit_;
  std::chrono::milliseconds timeout_;
  int nice_;
  gil* gil_;  // the interpreter-lock model (--gil), shared with the loop; null: off

  mutable std::mutex mutex_;
  // One condition variable a thread: a job wakes the thread that went idle last (its cache and
  // its CPU are warm, and a run of cheap jobs keeps going to the same thread), where a shared
  // one would wake the longest idle, spreading requests over every thread and CPU.
  std::vector<std::condition_variable> wake_;
  fair_queue<job*> queue_;         // under mutex_: one lane per connection
  std::vector<job*> running_;      // under mutex_: one slot per thread
  std::vector<job*> done_;         // under mutex_: finished, not delivered
  bool deliver_posted_ = false;    // under mutex_
  bool stopping_ = false;          // under mutex_
  std::vector<std::size_t> idle_;  // under mutex_: threads waiting for a job, last idle last
  std::vector<bool> woken_;        // under mutex_: by thread, taken off idle_ by a publish

  std::uint64_t cheap_below_n_;          // about a millisecond of work (first_costly_n)
  std::atomic<std::size_t> waiting_{0};  // accepted, not started: checked against queue_limit_
  connection_share shares_;              // loop thread

  std::vector<std::unique_ptr<job>> jobs_;  // loop thread: every job ever made
  std::vector<job*> free_;                  // loop thread: jobs to reuse
  std::vector<job*> delivering_;            // loop thread: swapped with done_
  std::vector<job*> staged_;                // loop thread: submitted during this pass
  bool publish_posted_ = false;             // loop thread
  std::vector<std::size_t> waking_;         // loop thread: the threads publish() wakes
  bool stopped_ = false;                    // loop thread
  std::vector<std::thread> threads_;
};

static_assert(executor_policy<thread_pool_executor>);

}  // namespace primeloop::executors
