#include "server/watchdog.hpp"

#include <algorithm>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "server/socket_probes.hpp"

namespace primeloop {

watchdog::watchdog(asio::ip::tcp::socket& socket, const connection_activity& activity,
                   watch_limits limits)
    : socket_(socket), activity_(activity), limits_(limits), timer_(socket.get_executor()) {}

asio::awaitable<errc> watchdog::run() {
  // Delivery is checked when the timer fires, not per write: a connection whose replies are
  // stuck is closed between one and two idle timeouts after the last byte moved.
  std::uint64_t delivered_seen = delivered();
  clock::time_point delivered_at = clock::now();
  while (!stopped_) {
    const auto now = clock::now();
    if (const auto taken = delivered(); taken != delivered_seen) {
      delivered_seen = taken;
      delivered_at = now;
    }
    if (activity_.computing > 0) delivered_at = now;  // waiting for us is not being idle
    auto next = clock::time_point::max();
    if (limits_.idle.count() > 0) {
      const auto idle_at = std::max(activity_.last_received, delivered_at) + limits_.idle;
      if (now >= idle_at) co_return errc::idle_timeout;
      next = idle_at;
    }
    if (limits_.request.count() > 0 && activity_.request_started != clock::time_point::max()) {
      const auto late_at = activity_.request_started + limits_.request;
      if (now >= late_at) co_return errc::line_timeout;
      next = std::min(next, late_at);
    }
    armed_for_ = next;
    timer_.expires_at(next);
    co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    // Woken early by request_started(), by stop(), or cancelled: the loop looks again.
    if (const auto state = co_await asio::this_coro::cancellation_state;
        state.cancelled() != asio::cancellation_type::none) {
      break;
    }
  }
  co_return errc{};
}

void watchdog::request_started() {
  if (limits_.request.count() <= 0) return;
  if (activity_.request_started + limits_.request < armed_for_) timer_.cancel();
}

void watchdog::stop() {
  stopped_ = true;
  timer_.cancel();
}

std::uint64_t watchdog::delivered() const noexcept {
  const auto queued = unacknowledged_bytes(socket_.native_handle());
  if (!queued || *queued > activity_.bytes_written) return activity_.bytes_written;
  return activity_.bytes_written - *queued;
}

}  // namespace primeloop
