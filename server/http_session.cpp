#include "server/http_session.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "core/protocol.hpp"
#include "server/socket_probes.hpp"

namespace primeloop {
namespace {

constexpr auto use_tuple = net::experimental::as_tuple(net::use_awaitable);
constexpr std::string_view not_found_text =
    "not found: the paths are /prime/N, /healthz, /readyz and /metrics\n";

/// The status a failed computation or a refused request is answered with.
int status_of(errc e) noexcept {
  switch (e) {
    case errc::empty_line:
    case errc::not_a_number:
    case errc::not_positive:
    case errc::too_large:
      return 400;
    case errc::busy:
    case errc::shutting_down:
    case errc::cancelled:
    case errc::too_many_connections:
      return 503;
    case errc::timeout:
      return 504;
    case errc::worker_died:
      return 502;
    default:
      return 500;
  }
}

}  // namespace

http_session::http_session(tcp::socket socket, http_context& ctx)
    : socket_(std::move(socket)),
      ctx_(ctx),
      base_(ctx.base),
      watchdog_(socket_, activity_, {ctx.base.options.idle_timeout, ctx.base.options.line_timeout}),
      writer_wake_(socket_.get_executor()),
      reader_wake_(socket_.get_executor()) {}

net::awaitable<void> http_session::run() {
  using namespace net::experimental::awaitable_operators;
  auto self = shared_from_this();  // the frame keeps the session alive
  activity_.last_received = clock::now();
  base_.stats.http_connections.fetch_add(1, std::memory_order_relaxed);
  base_.connections.join(*this);
  co_await ((reader() && writer()) || watch());
  if (!closed_ && stop_reading_ && !drained_) co_await linger();
  close();
}

void http_session::drain() {
  if (drained_ || closed_) return;
  drained_ = true;
  // As for a line session: the requests the kernel had already received are still read and
  // answered (exactly these bytes, so a client that keeps sending cannot hold the session).
  std::error_code ec;
  drain_budget_ = socket_.available(ec);
  if (ec) drain_budget_ = 0;
  socket_.shutdown(tcp::socket::shutdown_receive, ec);
  reader_wake_.notify();
}

void http_session::close() {
  if (closed_) return;
  closed_ = true;
  if (activity_.computing > 0) {
    base_.work.cancel_all(*this);
    base_.stats.in_flight.fetch_sub(activity_.computing, std::memory_order_relaxed);
    base_.stats.outcomes[static_cast<std::size_t>(errc::cancelled)].fetch_add(
        activity_.computing, std::memory_order_relaxed);
    activity_.computing = 0;
  }
  std::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  watchdog_.stop();
  writer_wake_.notify();
  reader_wake_.notify();
  base_.stats.http_connections.fetch_sub(1, std::memory_order_relaxed);
  base_.connections.leave(*this);
}

void http_session::on_result(std::uint64_t tag, executors::outcome result) {
  if (closed_ || !replies_.pending(tag)) return;
  --activity_.computing;
  base_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
  base_.stats.latency.observe(clock::now() - replies_.started(tag));
  base_.stats.count(result.error);
  if (result.error == errc{}) {
    respond(tag, 200, fmt::format("{}\n", result.value));
  } else {
    respond_error(tag, result.error);
  }
  if (activity_.computing == 0) reader_wake_.notify();
}

// ---- the reader ----

net::awaitable<void> http_session::reader() {
  co_await net::this_coro::throw_if_cancelled(false);
  co_await read_requests();
  reading_done_ = true;
  activity_.request_started = clock::time_point::max();
  writer_wake_.notify();
}

net::awaitable<void> http_session::read_requests() {
  // No buffer until the client has something to say, as for a line session.
  if (stop_reading_) co_return;
  if (auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple); ec) {
    if (ec != net::error::operation_aborted) close();
    co_return;
  }
  for (;;) {
    if (closed_ || !take_requests() || stop_reading_) co_return;
    if (replies_.size() >= base_.options.max_pipeline) {
      // Back-pressure: the client must read its responses before it sends more.
      activity_.request_started = clock::time_point::max();
      while (!closed_ && !stop_reading_ && replies_.size() >= base_.options.max_pipeline) {
        co_await reader_wake_.wait();
      }
      continue;
    }
    // Every complete request buffered is taken: a drain ends here once the bytes received
    // before it are all read.
    if (drained_ && drain_budget_ == 0) co_return;
    auto space = reader_.prepare();
    if (drained_) space = space.first(std::min(space.size(), drain_budget_));
    auto [ec, n] =
        co_await socket_.async_read_some(net::buffer(space.data(), space.size()), use_tuple);
    if (ec) {
      co_await end_of_stream(ec);
      co_return;
    }
    if (drained_) drain_budget_ -= std::min(n, drain_budget_);
    reader_.commit(n);
    activity_.last_received = clock::now();
  }
}

bool http_session::take_requests() {
  const executors::gil::hold held(base_.gil);  // one loop event, as for a line session
  while (replies_.size() < base_.options.max_pipeline) {
    const auto ev = reader_.next();
    if (ev.what == http::request_reader::status::need_more) break;
    if (ev.what == http::request_reader::status::error) {
      stop_reading_ = true;
      const auto tag = replies_.push(1, false);
      respond(tag, ev.error.status, fmt::format("{}\n", ev.error.reason));
      return false;
    }
    handle(ev.req);
    if (stop_reading_) return false;
  }
  // A request begun and not complete: the watchdog's request deadline (--line-timeout) runs.
  if (reader_.buffered() == 0) {
    activity_.request_started = clock::time_point::max();
  } else if (activity_.request_started == clock::time_point::max()) {
    activity_.request_started = activity_.last_received;
    watchdog_.request_started();
  }
  return true;
}

void http_session::handle(const http::request& req) {
  if (!req.keep_alive) stop_reading_ = true;  // Connection: close, or HTTP/1.0
  const auto tag = replies_.push(req.minor_version, req.keep_alive && !drained_);
  if (req.method != "GET") {
    respond(tag, 405, "method not allowed: only GET\n", "Allow: GET\r\n");
    return;
  }
  const std::string_view path = req.target.substr(0, req.target.find('?'));
  constexpr std::string_view prime = "/prime/";
  if (path.starts_with(prime)) {
    dispatch(tag, path.substr(prime.size()));
  } else if (path == "/healthz") {
    respond(tag, 200, "ok\n");
  } else if (path == "/readyz") {
    if (ctx_.not_ready) {
      respond(tag, 503, "not ready: shutting down\n");
    } else if (base_.stats.queued.load(std::memory_order_relaxed) >=
               base_.options.pool.queue_limit) {
      respond(tag, 503, "not ready: the queue is full\n", "Retry-After: 1\r\n");
    } else {
      respond(tag, 200, "ready\n");
    }
  } else if (path == "/metrics") {
    http::response r;
    r.content_type = metrics_content_type;
    replies_.fill(tag, r, format_metrics(base_.stats, ctx_.info));
    writer_wake_.notify();
  } else {
    respond(tag, 404, not_found_text);
  }
}

void http_session::dispatch(std::uint64_t tag, std::string_view number) {
  const auto req = protocol::parse_request(number, base_.options.max_n);
  if (!req.ok()) {
    base_.stats.count(req.error);
    respond_error(tag, req.error);
    return;
  }
  ++activity_.computing;
  base_.stats.in_flight.fetch_add(1, std::memory_order_relaxed);
  replies_.set_started(tag, clock::now());
  if (!base_.work.submit(req.n, *this, tag)) {
    --activity_.computing;
    base_.stats.in_flight.fetch_sub(1, std::memory_order_relaxed);
    base_.stats.count(errc::busy);
    respond_error(tag, errc::busy);
  }
}

void http_session::respond(std::uint64_t tag, int status, std::string_view body,
                           std::string_view extra_headers) {
  http::response r;
  r.status = status;
  r.extra_headers = extra_headers;
  replies_.fill(tag, r, body);
  // The writer runs after the current handler: every response ready by then goes in one write.
  writer_wake_.notify();
}

void http_session::respond_error(std::uint64_t tag, errc e) {
  // The line protocol's reason, without its "ERR ": the same words on both faces.
  std::string_view text = base_.errors[e];
  if (text.starts_with("ERR ")) text.remove_prefix(4);
  respond(tag, status_of(e), text, e == errc::busy ? "Retry-After: 1\r\n" : "");
}

net::awaitable<void> http_session::end_of_stream(std::error_code ec) {
  if (closed_ || ec == net::error::operation_aborted) co_return;
  if (ec != net::error::eof) {
    close();
    co_return;
  }
  if (drained_) co_return;  // our own shutdown_receive: what is owed is still answered
  // The client half-closed: answers that come soon still go out, then the rest is cancelled
  // (a gone client must not keep a core busy), as for a line session.
  const auto until = clock::now() + session::eof_linger;
  while (!closed_ && activity_.computing > 0 && clock::now() < until) {
    co_await reader_wake_.wait(until);
  }
  if (activity_.computing > 0) close();
}

// ---- the writer ----

net::awaitable<void> http_session::writer() {
  co_await net::this_coro::throw_if_cancelled(false);
  while (!closed_) {
    if (!replies_.head_ready()) {
      if (reading_done_ && replies_.empty()) co_return;
      co_await writer_wake_.wait();
      continue;
    }
    out_.clear();
    replies_.take_ready(out_);
    writing_ = true;
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

net::awaitable<void> http_session::linger() {
  using namespace net::experimental::awaitable_operators;
  std::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  net::steady_timer timer(socket_.get_executor(), session::eof_linger);
  auto discard = [this]() -> net::awaitable<void> {
    char sink[1024];
    for (;;) {
      auto [ec, n] = co_await socket_.async_read_some(net::buffer(sink), use_tuple);
      if (ec) co_return;
    }
  };
  co_await (discard() || timer.async_wait(use_tuple));
}

// ---- the watchdog ----

net::awaitable<void> http_session::watch() {
  const errc why = co_await watchdog_.run();
  if (why == errc{} || closed_) co_return;
  // An idle keep-alive connection is closed silently, as HTTP servers do; a request begun and
  // never finished gets 408, if the client can take it now.
  if (why == errc::line_timeout && !writing_ && replies_.empty()) {
    std::string text;
    http::response r;
    r.status = 408;
    r.keep_alive = false;
    http::append_response(text, r, "request timeout: the request head was not complete in time\n");
    write_now(socket_, text);
  }
  close();
}

}  // namespace primeloop
