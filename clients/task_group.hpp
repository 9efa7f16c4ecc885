#pragma once
/// The coroutines one load run spawns (a driver per connection, the pacer, the long client),
/// joined before the run's state goes away: they point at it.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <exception>
#include <functional>

namespace primeloop::clients {

/// Counts what it spawned, keeps the first exception one of them threw, and waits for them all.
/// Lives on the loop thread with the run that owns it.
class task_group {
 public:
  explicit task_group(const asio::any_io_executor& ex) : ex_(ex), done_(ex) {}
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  /// Starts a coroutine in the group. Anything it throws is a bug, rethrown by run_then_join.
  void spawn(asio::awaitable<void> task);

  /// Runs body; whether it returns or throws, calls stop (which must make every task end: close
  /// its sockets, cancel its timers) and waits until every task has returned. Then rethrows
  /// body's exception, else the first a task threw.
  asio::awaitable<void> run_then_join(asio::awaitable<void> body, std::function<void()> stop);

 private:
  asio::any_io_executor ex_;
  asio::steady_timer done_;  // a condition variable: cancelled when the last task returns
  unsigned active_ = 0;
  std::exception_ptr failure_;
};

}  // namespace primeloop::clients
