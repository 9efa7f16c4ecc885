#include "server/session.hpp"

#include <utility>

#include "server/socket_probes.hpp"

namespace primeloop {
namespace {

constexpr auto eof_linger = connection_core::eof_linger;

}  // namespace

session::session(tcp::socket socket, session_context& ctx)
    : session_base(std::move(socket), ctx),
      ctx_(ctx),
      activity_(core_.activity()),
      framer_(ctx.options.max_line) {}

net::awaitable<void> session::run() {
  auto self = shared_from_this();  // the frame keeps the session alive
  core_.start();
  co_await serve(replies_);
  close();
}

void session::on_result(std::uint64_t tag, executors::outcome result) {
  if (core_.closed() || !replies_.pending(tag)) return;
  core_.result_arrived(replies_.started(tag), result.error);
  if (result.error == errc{}) {
    replies_.set_value(tag, result.value);
  } else {
    replies_.set_text(tag, ctx_.errors[result.error]);
  }
}

// ---- the reader ----

net::awaitable<void> session::read_requests() {
  for (;;) {
    if (core_.closed()) co_return;
    // Frame what is buffered first: a read may have brought more requests than the pipeline
    // limit allowed to dispatch.
    if (!dispatch_buffered()) co_return;  // a fatal protocol error: its ERR is queued
    if (stop_reading_) co_return;
    if (replies_.size() >= ctx_.options.max_pipeline) {
      const bool room = co_await wait_for_room();
      if (!room) co_return;
      continue;
    }
    // Every complete line is dispatched, so what is buffered is a partial line shorter than
    // the limit, and prepare() has room.
    const auto got = co_await read_more(framer_.prepare());
    if (got.ended) co_return;
    framer_.commit(got.n);
    if (!handle_read()) co_return;
    // A read that drained the socket: the next one waits until what this one asked for has
    // been written. A client that waits for its answers (most do) sends its next request only
    // then, and a read tried earlier fails with EAGAIN, a wasted system call per request. A
    // long computation does not leave the connection unread for long: after eof_linger the
    // read goes ahead, so a client that leaves is noticed while its work is still running.
    if (!got.filled && !owes_nothing()) {
      const auto until =
          activity_.computing > 0 ? activity_.last_received + eof_linger : clock::time_point::max();
      co_await core_.wait_until(
          [this] { return owes_nothing() || stop_reading_ || core_.draining(); }, until);
    }
  }
}

net::awaitable<void> session::client_left() {
  if (stop_reading_) co_return;  // a fatal protocol error: its ERR is the last word
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
  co_await core_.finish_after_eof();
}

net::awaitable<bool> session::wait_for_room() {
  // Back-pressure: the client must read its replies first. Not reading means not seeing the
  // client leave: after eof_linger with no reply written, look for its end of stream past the
  // unread requests. A client that is gone gets its work cancelled, as it would while reading;
  // one whose answers keep flowing (it half-closed and reads) is left alone.
  activity_.request_started = clock::time_point::max();  // the client is not the one late
  while (!core_.closed() && !stop_reading_ && replies_.size() >= ctx_.options.max_pipeline) {
    const auto until = clock::now() + eof_linger;
    const auto written = activity_.bytes_written;
    co_await core_.reader_wake().wait(until);
    if (!core_.closed() && activity_.bytes_written == written && clock::now() >= until &&
        peer_closed(core_.socket().native_handle())) {
      close();
    }
  }
  co_return !core_.closed();
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
  if (!framer_.seen_newline() && framer_.buffered() > 0 && core_.socket().available(ec) == 0 &&
      !ec) {
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
    core_.dog().request_started();
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
  replies_.set_started(tag, clock::now());
  if (!core_.submit(req.n, tag)) reply_error(tag, errc::busy);
}

void session::reply_error(std::uint64_t tag, errc e) {
  replies_.set_text(tag, ctx_.errors[e]);
  ctx_.stats.count(e);
  core_.writer_wake().notify();
}

// ---- the watchdog ----

net::awaitable<void> session::watch() {
  const errc why = co_await core_.watch();
  if (why == errc{}) co_return;
  // A last word, if the client can take it now: it never waits, and a client that does not
  // read (a write is stuck) gets nothing.
  if (!core_.writing()) write_now(core_.socket(), ctx_.errors[why]);
  close();
}

}  // namespace primeloop
