#include "server/session.hpp"

#include <algorithm>
#include <utility>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_awaitable.hpp>

#include "server/socket_probes.hpp"

namespace primeloop {
namespace {

constexpr auto use_tuple = net::experimental::as_tuple(net::use_awaitable);

watch_limits limits_of(const server_options& o) {
  return {o.idle_timeout, o.line_timeout};
}

}  // namespace

session::session(tcp::socket socket, session_context& ctx)
    : socket_(std::move(socket)),
      ctx_(ctx),
      framer_(ctx.options.max_line),
      watchdog_(socket_, activity_, limits_of(ctx.options)),
      writer_wake_(socket_.get_executor()),
      reader_wake_(socket_.get_executor()) {}

net::awaitable<void> session::run() {
  using namespace net::experimental::awaitable_operators;
  auto self = shared_from_this();  // the frame keeps the session alive
  activity_.last_received = clock::now();
  ctx_.connections.join(*this);  // drains this session at once when the server shuts down
  co_await ((reader() && writer()) || watch());
  close();
}

void session::drain() {
  if (draining_ || closed_) return;
  draining_ = true;
  // Requests the kernel has already received were sent before the shutdown and are answered:
  // the reader goes on through exactly these bytes (a bound: a client that keeps sending does
  // not keep the session open), then stops.
  std::error_code ec;
  drain_budget_ = socket_.available(ec);
  if (ec) drain_budget_ = 0;
  // A read in progress ends as end of stream once nothing is buffered; nothing is lost.
  socket_.shutdown(tcp::socket::shutdown_receive, ec);
  reader_wake_.notify();
}

void session::close() {
  if (closed_) return;
  closed_ = true;
  if (activity_.computing > 0) {
    ctx_.work.cancel_all(*this);
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
  ctx_.connections.leave(*this);
}

void session::on_result(std::uint64_t tag, executors::outcome result) {
  if (closed_ || !replies_.pending(tag)) return;
  --activity_.computing;
  ctx_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
  ctx_.stats.latency.observe(clock::now() - replies_.started(tag));
  if (result.error == errc{}) {
    replies_.set_value(tag, result.value);
  } else {
    replies_.set_text(tag, ctx_.errors[result.error]);
  }
  ctx_.stats.count(result.error);
  // The writer runs after the current handler: every reply ready by then goes in one write
  // (a batch of dispatched requests, or a batch of results from a pool).
  writer_wake_.notify();
  if (activity_.computing == 0) reader_wake_.notify();
}

// ---- the reader ----

net::awaitable<void> session::reader() {
  co_await net::this_coro::throw_if_cancelled(false);
  co_await read_requests();
  reading_done_ = true;
  activity_.request_started = clock::time_point::max();
  writer_wake_.notify();
}

net::awaitable<void> session::read_requests() {
  // A connection that has sent nothing yet gets no read buffer: wait until it has something to
  // say. Thousands of idle connections then cost no buffer memory.
  if (stop_reading_) co_return;
  if (auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple); ec) {
    if (ec != net::error::operation_aborted) close();
    co_return;
  }
  for (;;) {
    if (closed_) co_return;
    // Frame what is buffered first: a read may have brought more requests than the pipeline
    // limit allowed to dispatch.
    if (!dispatch_buffered()) co_return;  // a fatal protocol error: its ERR is queued
    if (stop_reading_) co_return;
    if (replies_.size() >= ctx_.options.max_pipeline) {
      if (!co_await wait_for_room()) co_return;
      continue;
    }
    // Every complete line buffered is dispatched: a drain ends here once the bytes received
    // before it are all read.
    if (draining_ && drain_budget_ == 0) co_return;
    // Every complete line is dispatched, so what is buffered is a partial line shorter than
    // the limit, and prepare() has room.
    auto space = framer_.prepare();
    if (draining_) space = space.first(std::min(space.size(), drain_budget_));
    auto [ec, n] =
        co_await socket_.async_read_some(net::buffer(space.data(), space.size()), use_tuple);
    if (ec) {
      co_await end_of_stream(ec);
      co_return;
    }
    if (draining_) drain_budget_ -= std::min(n, drain_budget_);
    framer_.commit(n);
    activity_.last_received = clock::now();
    if (!handle_read()) co_return;
    // A read that drained the socket: the next one waits until what this one asked for has
    // been written. A client that waits for its answers (most do) sends its next request only
    // then, and a read tried earlier fails with EAGAIN, a wasted system call per request. A
    // long computation does not leave the connection unread for long: after eof_linger the
    // read goes ahead, so a client that leaves is noticed while its work is still running.
    if (n < space.size() && !owes_nothing()) {
      const auto until =
          activity_.computing > 0 ? activity_.last_received + eof_linger : clock::time_point::max();
      co_await wait_until([this] { return owes_nothing() || stop_reading_ || draining_; }, until);
    }
  }
}

net::awaitable<void> session::end_of_stream(std::error_code ec) {
  if (closed_ || ec == net::error::operation_aborted) co_return;
  // A reset (or an error): the client is gone and reads nothing more, so its work is cancelled
  // now (docs/architecture.md, "Close").
  if (ec != net::error::eof) {
    close();
    co_return;
  }
  // Our own shutdown_receive (drain): what was read is answered, within --grace.
  if (stop_reading_ || draining_) co_return;
  // A client that never sent a newline sent bare numbers, and half-closed to say "this is my
  // request": it waits for the answers however long they take. A bare number not taken yet is
  // one more request; it is work under the lock model, which a plain end of stream (every
  // connection, at shutdown) need not wait a switch interval for.
  if (!framer_.seen_newline()) {
    if (framer_.buffered() > 0) {
      const executors::gil::hold held(ctx_.gil);
      dispatch_bare();
    }
    co_return;
  }
  // End of stream is how most clients leave (a closed socket sends FIN, not a reset), and a
  // gone client must not keep a core busy. So answers that come soon still go out, then what
  // is still computing is cancelled.
  co_await wait_until([this] { return activity_.computing == 0; }, clock::now() + eof_linger);
  if (activity_.computing > 0) close();
}

net::awaitable<bool> session::wait_for_room() {
  // Back-pressure: the client must read its replies first. Not reading means not seeing the
  // client leave: after eof_linger with no reply written, look for its end of stream past the
  // unread requests. A client that is gone gets its work cancelled, as it would while reading;
  // one whose answers keep flowing (it half-closed and reads) is left alone.
  activity_.request_started = clock::time_point::max();  // the client is not the one late
  while (!closed_ && !stop_reading_ && replies_.size() >= ctx_.options.max_pipeline) {
    const auto until = clock::now() + eof_linger;
    const auto written = activity_.bytes_written;
    co_await reader_wake_.wait(until);
    if (!closed_ && activity_.bytes_written == written && clock::now() >= until &&
        peer_closed(socket_.native_handle())) {
      close();
    }
  }
  co_return !closed_;
}

template <class Done>
net::awaitable<void> session::wait_until(Done done, clock::time_point until) {
  while (!closed_ && !done() && clock::now() < until) co_await reader_wake_.wait(until);
}

bool session::handle_read() {
  // A read is one event of the loop: with --gil it runs under the interpreter lock, as a read
  // callback does in Python.
  const executors::gil::hold held(ctx_.gil);
  const auto lines_before = lines_;
  if (!dispatch_buffered()) return false;
  // A client that has never sent a newline and has nothing more in flight towards us sent a
  // bare number and waits for the answer (docs/protocol.md, "bare numbers").
  std::error_code ec;
  if (!framer_.seen_newline() && framer_.buffered() > 0 && socket_.available(ec) == 0 && !ec) {
    dispatch_bare();
  }
  track_partial_line(lines_before);
  return true;
}

void session::track_partial_line(std::uint64_t lines_before) {
  if (framer_.buffered() == 0 || replies_.size() >= ctx_.options.max_pipeline) {
    activity_.request_started = clock::time_point::max();
    return;
  }
  // What is buffered is the start of a line. It began in this read if a line ended in it.
  if (lines_ != lines_before || activity_.request_started == clock::time_point::max()) {
    activity_.request_started = activity_.last_received;
    watchdog_.request_started();
  }
}

bool session::dispatch_buffered() {
  while (replies_.size() < ctx_.options.max_pipeline) {
    const auto ev = framer_.next();
    if (ev.what == protocol::line_framer::status::need_more) return true;
    if (ev.what == protocol::line_framer::status::too_long) {
      reply_error(replies_.push(), errc::line_too_long);
      stop_reading_ = true;
      return false;
    }
    dispatch(ev.line);
  }
  return true;
}

void session::dispatch_bare() {
  if (auto line = framer_.take_bare()) dispatch(*line);
}

void session::dispatch(std::string_view line) {
  ++lines_;
  const auto req = protocol::parse_request(line, ctx_.options.max_n);
  const std::uint64_t tag = replies_.push();
  if (!req.ok()) {
    reply_error(tag, req.error);
    return;
  }
  ++activity_.computing;
  ctx_.stats.in_flight.fetch_add(1, std::memory_order_relaxed);
  replies_.set_started(tag, clock::now());
  if (!ctx_.work.submit(req.n, *this, tag)) {
    --activity_.computing;
    ctx_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
    reply_error(tag, errc::busy);
  }
}

void session::reply_error(std::uint64_t tag, errc e) {
  replies_.set_text(tag, ctx_.errors[e]);
  ctx_.stats.count(e);
  writer_wake_.notify();
}

// ---- the writer ----

net::awaitable<void> session::writer() {
  co_await net::this_coro::throw_if_cancelled(false);
  while (!closed_) {
    if (!replies_.head_ready()) {
      if (reading_done_ && replies_.empty()) co_return;  // nothing owed, nothing more to come
      co_await writer_wake_.wait();
      continue;
    }
    out_.clear();
    replies_.take_ready(out_);
    writing_ = true;
    // Piece by piece rather than async_write, so that activity_.bytes_written is exact at every
    // moment (the watchdog's delivered count relies on it).
    for (std::size_t sent = 0; sent < out_.size();) {
      auto [ec, n] = co_await socket_.async_write_some(
          net::buffer(out_.data() + sent, out_.size() - sent), use_tuple);
      if (ec) {
        writing_ = false;
        close();
        co_return;
      }
      sent += n;
      activity_.bytes_written += n;
    }
    writing_ = false;
    reader_wake_.notify();
  }
}

// ---- the watchdog ----

net::awaitable<void> session::watch() {
  const errc why = co_await watchdog_.run();
  if (why == errc{} || closed_) co_return;
  // A last word, if the client can take it now: it never waits, and a client that does not
  // read (a write is stuck) gets nothing.
  if (!writing_) write_now(socket_, ctx_.errors[why]);
  close();
}

}  // namespace primeloop
