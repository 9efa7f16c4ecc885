#include "clients/task_group.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

namespace primeloop::clients {

void task_group::spawn(asio::awaitable<void> task) {
  ++active_;
  asio::co_spawn(ex_, std::move(task), [this](std::exception_ptr e) {
    if (e && !failure_) failure_ = e;
    if (--active_ == 0) done_.cancel();
  });
}

asio::awaitable<void> task_group::run_then_join(asio::awaitable<void> body,
                                                std::function<void()> stop) {
  std::exception_ptr error;
  try {
    co_await std::move(body);
  } catch (...) {
    error = std::current_exception();  // handled below: co_await cannot stand in a catch
  }
  stop();
  if (active_ > 0) {
    done_.expires_at(asio::steady_timer::clock_type::time_point::max());
    co_await done_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  if (!error) error = failure_;
  if (error) std::rethrow_exception(error);
}

}  // namespace primeloop::clients
