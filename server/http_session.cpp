#include "server/http_session.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>

#include "core/protocol.hpp"
#include "server/socket_probes.hpp"

namespace primeloop {
namespace {

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
    : session_base(std::move(socket), ctx.base),
      ctx_(ctx),
      base_(ctx.base),
      activity_(core_.activity()) {}

net::awaitable<void> http_session::run() {
  auto self = shared_from_this();  // the frame keeps the session alive
  base_.stats.http_connections.fetch_add(1, std::memory_order_relaxed);
  core_.start();
  co_await serve(replies_);
  if (!core_.closed() && stop_reading_ && !core_.draining()) co_await linger();
  close();
  base_.stats.http_connections.fetch_sub(1, std::memory_order_relaxed);
}

void http_session::on_result(std::uint64_t tag, executors::outcome result) {
  if (core_.closed() || !replies_.pending(tag)) return;
  core_.result_arrived(replies_.started(tag), result.error);
  if (result.error == errc{}) {
    respond(tag, 200, fmt::format("{}\n", result.value));
  } else {
    respond_error(tag, result.error);
  }
}

// ---- the reader ----

net::awaitable<void> http_session::read_requests() {
  for (;;) {
    if (core_.closed() || !take_requests() || stop_reading_) co_return;
    if (replies_.size() >= base_.options.max_pipeline) {
      // Back-pressure: the client must read its responses before it sends more.
      activity_.request_started = clock::time_point::max();
      while (!core_.closed() && !stop_reading_ && replies_.size() >= base_.options.max_pipeline) {
        co_await core_.reader_wake().wait();
      }
      continue;
    }
    const auto got = co_await read_more(reader_.prepare());
    if (got.ended) co_return;
    reader_.commit(got.n);
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
    core_.dog().request_started();
  }
  return true;
}

void http_session::handle(const http::request& req) {
  if (!req.keep_alive) stop_reading_ = true;  // Connection: close, or HTTP/1.0
  const auto tag = replies_.push(req.minor_version, req.keep_alive && !core_.draining());
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
    core_.writer_wake().notify();
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
  replies_.set_started(tag, clock::now());
  if (!core_.submit(req.n, tag)) {
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
  core_.writer_wake().notify();
}

void http_session::respond_error(std::uint64_t tag, errc e) {
  // The line protocol's reason, without its "ERR ": the same words on both faces.
  std::string_view text = base_.errors[e];
  if (text.starts_with("ERR ")) text.remove_prefix(4);
  respond(tag, status_of(e), text, e == errc::busy ? "Retry-After: 1\r\n" : "");
}

net::awaitable<void> http_session::linger() {
  using namespace net::experimental::awaitable_operators;
  std::error_code ignored;
  core_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  net::steady_timer timer(core_.socket().get_executor(), connection_core::eof_linger);
  auto discard = [this]() -> net::awaitable<void> {
    char sink[1024];
    for (;;) {
      auto [ec, n] = co_await core_.socket().async_read_some(net::buffer(sink), use_tuple);
      if (ec) co_return;
    }
  };
  co_await (discard() || timer.async_wait(use_tuple));
}

// ---- the watchdog ----

net::awaitable<void> http_session::watch() {
  const errc why = co_await core_.watch();
  if (why == errc{}) co_return;
  // An idle keep-alive connection is closed silently, as HTTP servers do; a request begun and
  // never finished gets 408, if the client can take it now.
  if (why == errc::line_timeout && !core_.writing() && replies_.empty()) {
    std::string text;
    http::response r;
    r.status = 408;
    r.keep_alive = false;
    http::append_response(text, r, "request timeout: the request head was not complete in time\n");
    write_now(core_.socket(), text);
  }
  close();
}

}  // namespace primeloop
