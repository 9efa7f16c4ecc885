#include "server/connection_core.hpp"

#include <algorithm>
#include <utility>

#include "server/socket_probes.hpp"

namespace primeloop {
namespace {

watch_limits limits_of(const server_options& o) {
  return {o.idle_timeout, o.line_timeout};
}

}  // namespace

connection_core::connection_core(tcp::socket socket, session_context& ctx, connection& self,
                                 executors::result_sink& sink)
    : socket_(std::move(socket)),
      ctx_(ctx),
      self_(self),
      sink_(sink),
      watchdog_(socket_, activity_, limits_of(ctx.options)),
      writer_wake_(socket_.get_executor()),
      reader_wake_(socket_.get_executor()) {}

void connection_core::start() {
  activity_.last_received = clock::now();
  ctx_.connections.join(self_);  // drains this connection at once when the server shuts down
}

bool connection_core::begin_drain() {
  if (draining_ || closed_) return false;
  draining_ = true;
  // Requests the kernel has already received were sent before the shutdown and are answered.
  std::error_code ec;
  drain_budget_ = socket_.available(ec);
  if (ec) drain_budget_ = 0;
  // A read in progress ends as end of stream once nothing is buffered; nothing is lost.
  socket_.shutdown(tcp::socket::shutdown_receive, ec);
  reader_wake_.notify();
  return true;
}

bool connection_core::close() {
  if (closed_) return false;
  closed_ = true;
  if (activity_.computing > 0) {
    ctx_.work.cancel_all(sink_);
    ctx_.stats.in_flight.fetch_sub(activity_.computing, std::memory_order_relaxed);
    ctx_.stats.outcomes[static_cast<std::size_t>(errc::cancelled)].fetch_add(
        activity_.computing, std::memory_order_relaxed);
    activity_.computing = 0;
  }
  std::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  watchdog_.stop();
  writer_wake_.notify();
  reader_wake_.notify();
  ctx_.connections.leave(self_);
  return true;
}

net::awaitable<bool> connection_core::wait_readable() {
  auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
  if (ec && ec != net::error::operation_aborted) self_.close();
  co_return !ec;
}

net::awaitable<connection_core::read_result> connection_core::read_some(std::span<char> space) {
  if (draining_) space = space.first(std::min(space.size(), drain_budget_));
  auto [ec, n] =
      co_await socket_.async_read_some(net::buffer(space.data(), space.size()), use_tuple);
  if (!ec) {
    if (draining_) drain_budget_ -= std::min(n, drain_budget_);
    activity_.last_received = clock::now();
  }
  co_return read_result{ec, n, n == space.size()};
}

void connection_core::reading_ended() {
  reading_done_ = true;
  activity_.request_started = clock::time_point::max();
  writer_wake_.notify();
}

bool connection_core::end_of_stream(std::error_code ec) {
  if (closed_ || ec == net::error::operation_aborted) return false;
  // A reset (or an error): the client is gone and reads nothing more, so its work is cancelled
  // now (docs/architecture.md, "Close").
  if (ec != net::error::eof) {
    self_.close();
    return false;
  }
  return true;
}

net::awaitable<void> connection_core::finish_after_eof() {
  // End of stream is how most clients leave (a closed socket sends FIN, not a reset). So
  // answers that come soon still go out, then what is still computing is cancelled.
  co_await wait_until([this] { return activity_.computing == 0; }, clock::now() + eof_linger);
  if (activity_.computing > 0) self_.close();
}

bool connection_core::submit(std::uint64_t n, std::uint64_t tag) {
  ++activity_.computing;
  ctx_.stats.in_flight.fetch_add(1, std::memory_order_relaxed);
  if (ctx_.work.submit(n, sink_, tag)) return true;
  --activity_.computing;
  ctx_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void connection_core::result_arrived(clock::time_point started, errc e) {
  --activity_.computing;
  ctx_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
  ctx_.stats.latency.observe(clock::now() - started);
  ctx_.stats.count(e);
  // The writer runs after the current handler: every reply ready by then goes in one write
  // (a batch of dispatched requests, or a batch of results from a pool).
  writer_wake_.notify();
  if (activity_.computing == 0) reader_wake_.notify();
}

net::awaitable<errc> connection_core::watch() {
  const errc why = co_await watchdog_.run();
  co_return closed_ ? errc{} : why;
}

net::awaitable<connection_core::read_result> session_base::read_more(std::span<char> space) {
  if (core_.drain_read()) co_return connection_core::read_result{{}, 0, false, true};
  auto got = co_await core_.read_some(space);
  if (!got.ec) co_return got;
  got.ended = true;
  // Our own shutdown_receive (a drain) also ends in end of stream: what was read is answered.
  if (core_.end_of_stream(got.ec) && !core_.draining()) co_await client_left();
  co_return got;
}

net::awaitable<void> session_base::reader() {
  co_await net::this_coro::throw_if_cancelled(false);
  // A connection that has sent nothing yet gets no read buffer: thousands of idle connections
  // cost no buffer memory.
  const bool readable = co_await core_.wait_readable();
  if (readable) co_await read_requests();
  core_.reading_ended();
}

}  // namespace primeloop
