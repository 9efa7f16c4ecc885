#include "server/connection.hpp"

#include <algorithm>
#include <utility>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>

#include "server/connection_manager.hpp"
#include "server/socket_probes.hpp"

namespace primeloop {

using protocol::event;

connection::connection(tcp::socket socket, connection_context& ctx,
                       std::unique_ptr<protocol::codec> codec)
    : socket_(std::move(socket)),
      ctx_(ctx),
      codec_(std::move(codec)),
      watch_timer_(socket_.get_executor()),
      writer_wake_(socket_.get_executor()),
      reader_wake_(socket_.get_executor()) {}

net::awaitable<void> connection::run() {
  using namespace net::experimental::awaitable_operators;
  activity_.last_received = clock::now();
  ctx_.connections.join(*this);  // drains this connection at once when the server shuts down
  // Until the client sends its first byte, the connection is this one coroutine and no timer
  // (the manager keeps the idle timeout of all such connections): no read buffer, no reader,
  // writer or watchdog, so thousands of idle connections cost little.
  auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
  if (ec && ec != net::error::operation_aborted) close();
  if (!closed_) {
    started_ = true;
    ctx_.connections.started(*this);
    co_await ((reader() && writer()) || watch());
    // The server ended the stream after its last reply (a drain, or a reply that closes): what
    // the client still sends is read and dropped for a moment, so that the close does not reset
    // the connection under that reply.
    if (!closed_ && (reads_over_ || (codec_->done() && codec_->linger_at_close()))) {
      co_await linger();
    }
  }
  close();
}

void connection::drain() {
  if (draining_ || closed_) return;
  draining_ = true;
  codec_->drain();
  // Requests the kernel has already received were sent before the shutdown and are answered.
  std::error_code ec;
  drain_budget_ = socket_.available(ec);
  if (ec) drain_budget_ = 0;
  // A read already waiting found nothing: the drain decides now what that read is for.
  if (read_pending_ && drain_budget_ == 0) end_of_drain_budget();
  reader_wake_.notify();
  watch_timer_.cancel();  // the watchdog looks again: it bounds the wait for one more request
}

void connection::end_of_drain_budget() {
  // No reply owed (every one written, or being written): the client may be sending its next
  // request this very moment, having just read the last answer, and ending the stream now would
  // lose it. That request is answered instead, and its reply ends the stream. Part of a request
  // read: its rest is read too.
  if (codec_->replies().empty() || codec_->buffered() > 0) {
    one_more_ = true;
    return;
  }
  stop_reading();  // the last of the replies owed ends the stream
}

void connection::stop_reading() {
  if (closed_ || reads_over_) return;
  if (!started_) {
    close();  // it never spoke: nothing is owed
    return;
  }
  reads_over_ = true;
  // A read waiting for bytes ends as end of stream; bytes that still come are not read.
  std::error_code ignored;
  if (read_pending_) socket_.shutdown(tcp::socket::shutdown_receive, ignored);
  reader_wake_.notify();
}

void connection::close() {
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
  watch_timer_.cancel();
  writer_wake_.notify();
  reader_wake_.notify();
  ctx_.connections.leave(*this);
}

// ---- the reader: bytes to the codec, its requests to the dispatcher ----

net::awaitable<void> connection::reader() {
  co_await net::this_coro::throw_if_cancelled(false);
  while (!closed_) {
    // What is buffered first: a read may have brought more requests than the pipeline limit
    // allowed to take.
    take_events();
    // A fatal reply, the client's last request, or the drain's last.
    if (codec_->done() || reads_over_) break;
    if (full()) {
      if (!co_await wait_for_room()) break;
      continue;
    }
    const auto got = co_await read_more();
    if (got.ended) break;
    codec_->commit(got.n);
    after_read();
    if (codec_->done() || reads_over_) break;
    // A read that drained the socket: the next one waits until what this one asked for has
    // been written. A client that waits for its answers (most do) sends its next request only
    // then, and a read tried earlier fails with EAGAIN, a wasted system call per request. A
    // long computation does not leave the connection unread for long: after eof_linger the
    // read goes ahead, so a client that leaves is noticed while its work is still running.
    if (!got.filled && !owes_nothing()) {
      const auto until =
          activity_.computing > 0 ? activity_.last_received + eof_linger : clock::time_point::max();
      co_await wait_until([this] { return owes_nothing() || draining_; }, until);
    }
  }
  reading_done_ = true;
  activity_.request_started = clock::time_point::max();
  writer_wake_.notify();
}

net::awaitable<connection::read_result> connection::read_more() {
  if (draining_ && drain_budget_ == 0 && !one_more_) end_of_drain_budget();
  if (one_more_taken_ && codec_->buffered() == 0) reads_over_ = true;  // the drain's last read
  if (reads_over_) co_return read_result{0, false, true};
  auto space = codec_->prepare();
  if (draining_ && !one_more_) space = space.first(std::min(space.size(), drain_budget_));
  read_pending_ = true;
  auto [ec, n] =
      co_await socket_.async_read_some(net::buffer(space.data(), space.size()), use_tuple);
  read_pending_ = false;
  // The drain ended the reading while this read waited: what it brought is not taken.
  if (reads_over_) co_return read_result{0, false, true};
  if (!ec) {
    if (draining_) drain_budget_ -= std::min(n, drain_budget_);
    activity_.last_received = clock::now();
    co_return read_result{n, n == space.size(), false};
  }
  if (closed_ || ec == net::error::operation_aborted) co_return read_result{0, false, true};
  // A reset (or an error): the client is gone and reads nothing more, so its work is cancelled
  // now. Our own shutdown_receive (a drain) ends in end of stream too: what was read is answered.
  if (ec != net::error::eof) {
    close();
  } else if (!draining_) {
    co_await client_left();
  }
  co_return read_result{0, false, true};
}

void connection::after_read() {
  // A read is one event of the loop: with --gil it runs under the interpreter lock, as a read
  // callback does in Python.
  const executors::gil::hold held(ctx_.gil);
  const auto framed_before = codec_->replies().pushed();
  take_events();
  // A client that has never sent a newline and has nothing more in flight towards us sent a
  // bare number and waits for the answer (docs/protocol.md, "bare numbers").
  std::error_code ec;
  if (codec_->maybe_bare() && socket_.available(ec) == 0 && !ec) handle(codec_->take_bare());
  track_partial_request(framed_before);
}

void connection::take_events() {
  while (!codec_->done() && !full() && !reads_over_) {
    const auto ev = codec_->next();
    if (ev.what == event::kind::need_more) return;
    handle(ev);
  }
}

void connection::handle(const event& ev) {
  if (ev.what == event::kind::need_more) return;
  // The drain's one more request came: the requests the same read brought are answered too
  // (sent together, before the client could see the stream end), then reading ends.
  if (one_more_) one_more_taken_ = true;
  if (ev.what == event::kind::request) {
    codec_->replies().set_started(ev.tag, clock::now());
    if (submit(ev.n, ev.tag)) return;  // the writer wakes when the result comes
    codec_->complete(ev.tag, 0, errc::busy);
    ctx_.stats.count(errc::busy);
  } else if (ev.error != errc{}) {
    ctx_.stats.count(ev.error);
  }
  held_bytes_ += codec_->replies().bytes(ev.tag);
  // The writer runs after the current handler: every reply ready by then goes in one write.
  writer_wake_.notify();
}

bool connection::submit(std::uint64_t n, std::uint64_t tag) {
  ++activity_.computing;
  ctx_.stats.in_flight.fetch_add(1, std::memory_order_relaxed);
  if (ctx_.work.submit(n, *this, tag)) return true;
  --activity_.computing;
  ctx_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void connection::on_result(std::uint64_t tag, executors::outcome result) {
  auto& replies = codec_->replies();
  if (closed_ || !replies.pending(tag)) return;
  --activity_.computing;
  ctx_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
  const auto took = clock::now() - replies.started(tag);
  ctx_.stats.latency.observe(took);
  ctx_.stats.latency_window.record(took, {});
  ctx_.stats.count(result.error);
  codec_->complete(tag, result.value, result.error);
  held_bytes_ += replies.bytes(tag);
  // A batch of results from a pool comes in one loop turn: they go in one write.
  writer_wake_.notify();
  if (activity_.computing == 0) reader_wake_.notify();
}

void connection::track_partial_request(std::uint64_t framed_before) {
  if (codec_->buffered() == 0 || full()) {
    activity_.request_started = clock::time_point::max();
    return;
  }
  // What is buffered is the start of a request. It began in this read if one ended in it.
  if (codec_->replies().pushed() != framed_before ||
      activity_.request_started == clock::time_point::max()) {
    activity_.request_started = activity_.last_received;
    // The watchdog looks again now if this deadline comes before the one it waits for.
    const auto limit = ctx_.options.line_timeout;
    if (limit.count() > 0 && activity_.request_started + limit < watch_armed_for_) {
      watch_timer_.cancel();
    }
  }
}

net::awaitable<void> connection::client_left() {
  if (codec_->done()) co_return;  // a fatal reply is the last word
  if (codec_->end_of_stream() == protocol::end_rule::wait_all) {
    // A bare number not taken yet is one more request; it is work under the lock model, which
    // a plain end of stream (every connection, at shutdown) need not wait a switch interval for.
    if (codec_->maybe_bare()) {
      const executors::gil::hold held(ctx_.gil);
      handle(codec_->take_bare());
    }
    co_return;
  }
  // End of stream is how most clients leave (a closed socket sends FIN, not a reset). So
  // answers that come soon still go out, then what is still computing is cancelled.
  co_await wait_until([this] { return activity_.computing == 0; }, clock::now() + eof_linger);
  if (activity_.computing > 0) close();
}

net::awaitable<bool> connection::wait_for_room() {
  // Back-pressure: the client must read its replies first. Not reading means not seeing the
  // client leave: after eof_linger with no reply written, look for its end of stream past the
  // unread requests. A client that is gone gets its work cancelled, as it would while reading;
  // one whose answers keep flowing (it half-closed and reads) is left alone.
  activity_.request_started = clock::time_point::max();  // the client is not the one late
  while (!closed_ && full() && !reads_over_) {
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

bool connection::full() const noexcept {
  // By count (a client that sends many small requests) and by bytes (one that pipelines large
  // pages, /metrics say, and never reads: 1024 of them would be megabytes).
  return codec_->replies().size() >= ctx_.options.max_pipeline ||
         held_bytes_ >= ctx_.options.max_pipeline_bytes;
}

bool connection::owes_nothing() const noexcept {
  return codec_->replies().empty() && !writing_;
}

// ---- the writer ----

net::awaitable<void> connection::writer() {
  co_await net::this_coro::throw_if_cancelled(false);
  auto& replies = codec_->replies();
  while (!closed_) {
    if (!replies.head_ready()) {
      if (reading_done_ && replies.empty()) co_return;  // nothing owed, nothing more to come
      co_await writer_wake_.wait();
      continue;
    }
    out_.clear();
    replies.take_ready(out_);
    // The connection's last reply: its end of stream goes in the same TCP segment, so that a
    // client (or a balancer) that has read the reply already sees the stream ended and sends
    // its next request elsewhere.
    const bool last = (reads_over_ || reading_done_) && replies.empty();
    if (last) hold_partial_segments(socket_.native_handle());
    writing_ = true;
    // Piece by piece rather than async_write, so that activity_.bytes_written is exact at every
    // moment (the watchdog's delivered() relies on it).
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
      held_bytes_ -= std::min(held_bytes_, n);
    }
    writing_ = false;
    activity_.last_written = clock::now();
    if (last) {
      std::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);  // sends the held reply with FIN
    }
    reader_wake_.notify();
  }
}

// ---- the end (the watchdog is in connection_watch.cpp) ----

net::awaitable<void> connection::linger() {
  using namespace net::experimental::awaitable_operators;
  std::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  net::steady_timer timer(socket_.get_executor(), eof_linger);
  auto discard = [this]() -> net::awaitable<void> {
    char sink[1024];
    for (;;) {
      auto [ec, n] = co_await socket_.async_read_some(net::buffer(sink), use_tuple);
      if (ec) co_return;
    }
  };
  co_await (discard() || timer.async_wait(use_tuple));
}

}  // namespace primeloop
