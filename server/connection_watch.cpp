// The connection's watchdog (server/connection.hpp): the idle and line timeouts, and the
// drain's wait for one more request. Apart from connection.cpp, where a request's path (read,
// dispatch, result, write) runs, since the watchdog is not on it: it only looks, when its
// timer fires, at what the reader and the writer noted.
#include <algorithm>

#include <asio/this_coro.hpp>

#include "server/connection.hpp"
#include "server/socket_probes.hpp"

namespace primeloop {

net::awaitable<void> connection::watch() {
  const auto idle = ctx_.options.idle_timeout;
  const auto request = ctx_.options.line_timeout;
  // Delivery is checked when the timer fires, not per write. Replies written since the last
  // look and all taken by the client by now are dated by the write that sent them (the ack
  // follows within a round trip): a client that reads its answers is closed one idle timeout
  // after the last exchange. Otherwise the look only knows that bytes moved since the last one,
  // and dates them now: a connection whose replies are stuck is closed between one and two
  // idle timeouts after the last byte moved.
  std::uint64_t delivered_seen = delivered();
  auto moved_at = clock::now();
  auto looked_at = moved_at;
  while (!closed_) {
    const auto now = clock::now();
    if (const auto taken = delivered(); taken != delivered_seen) {
      const bool prompt = taken == activity_.bytes_written && activity_.last_written > looked_at;
      moved_at = prompt ? activity_.last_written : now;
      delivered_seen = taken;
    }
    looked_at = now;
    if (activity_.computing > 0) moved_at = now;  // waiting for us is not being idle
    auto next = clock::time_point::max();
    if (idle.count() > 0) {
      const auto idle_at = std::max(activity_.last_received, moved_at) + idle;
      if (now >= idle_at) co_return expire(errc::idle_timeout);
      next = idle_at;
    }
    if (request.count() > 0 && activity_.request_started != clock::time_point::max()) {
      const auto late_at = activity_.request_started + request;
      if (now >= late_at) co_return expire(errc::line_timeout);
      next = std::min(next, late_at);
    }
    if (one_more_ && !reads_over_ && codec_->buffered() == 0) {
      // Draining, owing nothing: the one more request did not come.
      const auto give_up_at =
          std::max(activity_.last_received, activity_.last_written) + drain_wait;
      if (now >= give_up_at) {
        stop_reading();
      } else {
        next = std::min(next, give_up_at);
      }
    }
    watch_armed_for_ = next;
    watch_timer_.expires_at(next);
    co_await watch_timer_.async_wait(use_tuple);
    // Woken early by a request deadline, by close(), or cancelled: the loop looks again.
    if (const auto state = co_await net::this_coro::cancellation_state;
        state.cancelled() != net::cancellation_type::none) {
      co_return;
    }
  }
}

std::uint64_t connection::delivered() noexcept {
  const auto queued = unacknowledged_bytes(socket_.native_handle());
  if (!queued || *queued > activity_.bytes_written) return activity_.bytes_written;
  return activity_.bytes_written - *queued;
}

void connection::expire(errc why) {
  // A last word, if the client can take it now: it never waits, and a client that does not
  // read (a write is stuck) gets nothing.
  if (!writing_ && !closed_) {
    if (const auto text = codec_->last_word(why); !text.empty()) write_now(socket_, text);
  }
  close();
}

}  // namespace primeloop
