#pragma once
/// One client connection: a coroutine that reads, frames and dispatches requests in order, and a
/// writer that sends every reply that is ready in one write. Everything here runs on the loop
/// thread; results come back from the executor policy through on_result, also on the loop thread.
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "executors/executor_policy.hpp"
#include "executors/gil.hpp"
#include "server/options.hpp"
#include "core/protocol.hpp"
#include "server/reply_queue.hpp"
#include "server/stats.hpp"

namespace primeloop {

namespace net = asio;
using tcp = net::ip::tcp;

template <executors::executor_policy Policy>
class session;

/// What every session of one server shares. Owned by the server; lives longer than any session.
template <executors::executor_policy Policy>
struct server_context {
  Policy& policy;
  const server_options& options;
  const protocol::error_lines& errors;
  stats_counters& stats;
  std::unordered_set<session<Policy>*> sessions;
  bool draining = false;                 ///< shutting down: sessions read no more requests
  std::function<void()> session_closed;  ///< called after a session left `sessions`
  executors::gil* gil = nullptr;         ///< the interpreter-lock model (--gil); null: off
};

template <executors::executor_policy Policy>
class session final : public executors::result_sink,
                      public std::enable_shared_from_this<session<Policy>> {
 public:
  using clock = std::chrono::steady_clock;

  session(tcp::socket socket, server_context<Policy>& ctx)
      : socket_(std::move(socket)),
        ctx_(ctx),
        framer_(ctx.options.max_line),
        event_(socket_.get_executor()),
        watchdog_(socket_.get_executor()) {
    event_.expires_at(clock::time_point::max());
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// The connection's whole life: read and dispatch until end of stream, an error, a fatal
  /// protocol error or shutdown; then deliver what is owed and close.
  net::awaitable<void> run() {
    auto self = this->shared_from_this();  // the frame keeps the session alive
    ctx_.sessions.insert(this);
    ctx_.stats.connections.fetch_add(1, std::memory_order_relaxed);
    last_activity_ = clock::now();
    arm_watchdog();
    if (ctx_.draining) stop_reading_ = true;

    co_await read_requests();
    if (end_of_stream_ && !bare_at_end_) {
      // End of stream is how most clients leave (a closed socket sends FIN, not a reset), and a
      // gone client must not keep a core busy. So answers that come soon still go out, then
      // what is still computing is cancelled. A bare number completed by the end of stream is
      // the exception: that client half-closed to say "this is my request" and waits for it.
      const auto until = clock::now() + eof_linger;
      while (!closed_ && outstanding_ > 0 && clock::now() < until) co_await wait_event(until);
      if (outstanding_ > 0) close();
    }
    // Requests already read still get their answers (or errors) before the connection closes.
    while (!closed_ && (!replies_.empty() || writing_)) co_await wait_event();
    close();
  }

  /// After end of stream, how long work in flight may still finish before it is cancelled.
  static constexpr std::chrono::milliseconds eof_linger{100};

  /// Shutdown: read no more requests; answer those in flight.
  void drain() {
    stop_reading_ = true;
    asio::error_code ignored;
    // A read in progress ends as end of stream; nothing in flight is lost.
    socket_.shutdown(tcp::socket::shutdown_receive, ignored);
    notify();
  }

  /// Closes now: what is owed is dropped and its computations are cancelled.
  void close() {
    if (closed_) return;
    closed_ = true;
    if (outstanding_ > 0) {
      ctx_.policy.cancel_all(*this);
      ctx_.stats.in_flight.fetch_sub(outstanding_, std::memory_order_relaxed);
      outstanding_ = 0;
    }
    asio::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    watchdog_.cancel();
    event_.cancel();
    if (ctx_.sessions.erase(this) > 0) {
      ctx_.stats.connections.fetch_sub(1, std::memory_order_relaxed);
      if (ctx_.session_closed) ctx_.session_closed();
    }
  }

  void on_result(std::uint64_t tag, executors::outcome result) override {
    if (closed_ || !replies_.pending(tag)) return;
    --outstanding_;
    ctx_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (result.error == errc{}) {
      replies_.set_value(tag, result.value);
      ctx_.stats.answered.fetch_add(1, std::memory_order_relaxed);
    } else {
      replies_.set_text(tag, ctx_.errors[result.error]);
      ctx_.stats.errors.fetch_add(1, std::memory_order_relaxed);
    }
    // Inside a read batch the flush comes once, after the batch (one write for all of it).
    if (!in_batch_) flush();
  }

 private:
  net::awaitable<void> read_requests() {
    using net::experimental::as_tuple;
    // A connection that has sent nothing yet gets no read buffer: wait until it has something to
    // say. Thousands of idle connections then cost no buffer memory.
    if (closed_ || stop_reading_) co_return;
    {
      auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, as_tuple(net::use_awaitable));
      if (ec || closed_) co_return;
    }
    for (;;) {
      if (closed_) co_return;
      // Frame what is buffered first: a read may have brought more requests than the pipeline
      // limit allowed to dispatch.
      if (!dispatch_buffered()) co_return;  // fatal protocol error: the ERR is queued
      if (stop_reading_) co_return;
      if (replies_.size() >= ctx_.options.max_pipeline) {
        // Back-pressure: the client must read its replies first. Then frame the lines already
        // buffered before reading more: the client may have sent them all and be waiting.
        // Not reading means not seeing the client leave. After eof_linger with no reply
        // written, look for its end of stream past the unread requests: a client that is gone
        // gets its work cancelled, as it would while reading. One whose answers keep flowing
        // (a pipelining client that half-closed and reads) is left alone.
        while (!closed_ && !stop_reading_ && replies_.size() >= ctx_.options.max_pipeline) {
          const auto until = clock::now() + eof_linger;
          co_await wait_event(until);
          if (!closed_ && clock::now() >= until && peer_closed()) {
            close();
            co_return;
          }
        }
        continue;
      }

      // Every complete line is dispatched, so what is buffered is a partial line shorter than
      // the limit, and prepare() has room.
      const auto space = framer_.prepare();
      auto [ec, n] = co_await socket_.async_read_some(net::buffer(space.data(), space.size()),
                                                      as_tuple(net::use_awaitable));
      if (ec) {
        // End of stream (or a reset, or shutdown): a bare number sent just before a half-close
        // is still a request.
        if (ec == net::error::eof && !closed_) {
          end_of_stream_ = !stop_reading_;  // at shutdown, our own shutdown_receive ends reads
          // Only a bare number left to answer is work under the lock: a plain end of stream
          // (every connection, at shutdown) does not wait a switch interval for it.
          const bool bare = !framer_.seen_newline() && framer_.buffered() > 0;
          const executors::gil::hold held(bare ? ctx_.gil : nullptr);
          dispatch_bare();
          bare_at_end_ = bare;
        }
        // A reset: the client is gone and reads nothing more, so its work is cancelled now
        // (docs/architecture.md, "Close"). End of stream may be a half-close: answers still go.
        if (ec != net::error::eof) close();
        co_return;
      }
      framer_.commit(n);
      last_activity_ = clock::now();
      if (!handle_read()) co_return;
    }
  }

  /// One read's worth of requests; false after a fatal protocol error. A read is one event of
  /// the loop: with --gil it runs under the interpreter lock, as a read callback does in Python.
  bool handle_read() {
    const executors::gil::hold held(ctx_.gil);
    if (!dispatch_buffered()) return false;
    // A client that has never sent a newline and has nothing more in flight towards us sent a
    // bare number and waits for the answer (docs/protocol.md, "bare numbers").
    asio::error_code ec;
    if (!framer_.seen_newline() && framer_.buffered() > 0 && socket_.available(ec) == 0 && !ec) {
      dispatch_bare();
    }
    return true;
  }

  /// Dispatches complete lines while the pipeline has room; false after a fatal protocol error.
  bool dispatch_buffered() {
    in_batch_ = true;
    bool alive = true;
    while (replies_.size() < ctx_.options.max_pipeline) {
      const auto ev = framer_.next();
      if (ev.what == protocol::line_framer::status::need_more) break;
      if (ev.what == protocol::line_framer::status::too_long) {
        reply_error(replies_.push(), errc::line_too_long);
        stop_reading_ = true;
        alive = false;
        break;
      }
      dispatch(ev.line);
    }
    in_batch_ = false;
    flush();
    return alive;
  }

  void dispatch_bare() {
    if (auto line = framer_.take_bare()) {
      in_batch_ = true;
      dispatch(*line);
      in_batch_ = false;
      flush();
    }
  }

  void dispatch(std::string_view line) {
    const auto req = protocol::parse_request(line, ctx_.options.max_n);
    const std::uint64_t tag = replies_.push();
    if (!req.ok()) {
      reply_error(tag, req.error);
      return;
    }
    ++outstanding_;
    ctx_.stats.in_flight.fetch_add(1, std::memory_order_relaxed);
    if (!ctx_.policy.submit(req.n, *this, tag)) {
      --outstanding_;
      ctx_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
      reply_error(tag, errc::busy);
    }
  }

  void reply_error(std::uint64_t tag, errc e) {
    replies_.set_text(tag, ctx_.errors[e]);
    ctx_.stats.errors.fetch_add(1, std::memory_order_relaxed);
  }

  /// Starts one write of every reply ready at the head, unless a write is in progress.
  void flush() {
    if (writing_ || closed_ || !replies_.head_ready()) return;
    out_.clear();
    out_sent_ = 0;
    replies_.take_ready(out_);
    writing_ = true;
    write_some();
  }

  /// Writes the rest of out_. Piece by piece rather than async_write, so that bytes_written_ is
  /// exact at every moment (delivered() relies on it).
  void write_some() {
    const auto rest = net::buffer(out_.data() + out_sent_, out_.size() - out_sent_);
    socket_.async_write_some(rest,
                             [self = this->shared_from_this()](asio::error_code ec, std::size_t n) {
                               self->on_written(ec, n);
                             });
  }

  void on_written(asio::error_code ec, std::size_t n) {
    if (ec) {
      writing_ = false;
      close();
      return;
    }
    // Not activity yet: the kernel took the bytes, the client may never read them (delivered()).
    bytes_written_ += n;
    out_sent_ += n;
    if (out_sent_ < out_.size()) {
      write_some();
      return;
    }
    writing_ = false;
    flush();
    notify();
  }

  /// A last word before closing, if the client can take it now: it never waits, and a client
  /// that does not read (a write is stuck) gets nothing.
  void say_goodbye(errc e) {
    if (writing_ || closed_) return;
    const auto text = ctx_.errors[e];
    asio::error_code ec;
    socket_.non_blocking(true, ec);
    if (!ec) socket_.write_some(net::buffer(text.data(), text.size()), ec);
  }

  /// True when the client shut down its sending side or reset the connection, even with unread
  /// requests still buffered in the kernel (POLLRDHUP sees past them; a read would not).
  [[nodiscard]] bool peer_closed() noexcept {
    pollfd p{socket_.native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  /// Wakes the coroutine if it waits for replies to drain or results to come.
  void notify() { event_.cancel(); }

  net::awaitable<void> wait_event(clock::time_point until = clock::time_point::max()) {
    using net::experimental::as_tuple;
    event_.expires_at(until);
    co_await event_.async_wait(as_tuple(net::use_awaitable));
  }

  /// Bytes of replies the client's side has acknowledged: written, minus what still waits in our
  /// send queue. A client that does not read closes its receive window, and this stops growing
  /// even while our own send buffer still takes writes.
  [[nodiscard]] std::uint64_t delivered() noexcept {
    int queued = 0;
    if (::ioctl(socket_.native_handle(), SIOCOUTQ, &queued) != 0 || queued < 0) {
      return bytes_written_;  // unknown: count what the kernel took
    }
    return bytes_written_ - static_cast<std::uint64_t>(queued);
  }

  /// Closes the connection after --idle-timeout with nothing received, nothing delivered and
  /// nothing computing. Delivery is checked when the timer fires, not per write: the hot path
  /// pays nothing, and a connection is closed between one and two timeouts after it stalled.
  void arm_watchdog() {
    const auto timeout = ctx_.options.idle_timeout;
    if (timeout.count() <= 0 || closed_) return;
    watchdog_.expires_at(last_activity_ + timeout);
    watchdog_.async_wait([self = this->shared_from_this()](asio::error_code ec) {
      if (ec || self->closed_) return;
      if (const auto taken = self->delivered(); taken != self->delivered_seen_) {
        self->delivered_seen_ = taken;
        self->last_activity_ = clock::now();
      }
      const bool computing = self->outstanding_ > 0;
      if (!computing && clock::now() - self->last_activity_ >= self->ctx_.options.idle_timeout) {
        self->say_goodbye(errc::idle_timeout);
        self->close();
        return;
      }
      if (computing) self->last_activity_ = clock::now();
      self->arm_watchdog();
    });
  }

  tcp::socket socket_;
  server_context<Policy>& ctx_;
  protocol::line_framer framer_;
  reply_queue replies_;
  std::string out_;                    // the write in progress; reused
  std::size_t out_sent_ = 0;           // bytes of out_ the socket took
  net::steady_timer event_;            // cancelled to wake the coroutine
  net::steady_timer watchdog_;         // idle timeout
  clock::time_point last_activity_{};  // last byte received, or last delivery seen
  std::uint64_t bytes_written_ = 0;    // replies the kernel took, in total
  std::uint64_t delivered_seen_ = 0;   // delivered() when the watchdog last looked
  std::size_t outstanding_ = 0;        // submitted to the policy, no result yet
  bool writing_ = false;
  bool in_batch_ = false;
  bool stop_reading_ = false;
  bool end_of_stream_ = false;  // the client half-closed (or closed) its side
  bool bare_at_end_ = false;    // ...and that completed a bare number
  bool closed_ = false;
};

}  // namespace primeloop
