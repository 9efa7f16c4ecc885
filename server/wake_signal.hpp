#pragma once
/// A timer used as a condition variable, as Asio's chat_server.cpp uses one: a coroutine waits
/// on it, notify() wakes it. One waiter at a time; a notify with nobody waiting is lost, so the
/// waiter checks its condition in a loop. Loop thread only.
#include <chrono>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace primeloop {

class wake_signal {
 public:
  using clock = std::chrono::steady_clock;

  explicit wake_signal(const asio::any_io_executor& ex) : timer_(ex) {}

  /// Returns after notify(), at `until`, or when the coroutine is cancelled.
  asio::awaitable<void> wait(clock::time_point until = clock::time_point::max()) {
    timer_.expires_at(until);
    co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  /// Wakes the waiter, if there is one. Costs nothing when nobody waits.
  void notify() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

}  // namespace primeloop
