#pragma once
/// One connection of the HTTP face (docs/protocol.md, "The HTTP face"), built like the line
/// protocol's session (server/session.hpp): a reader, a writer and a watchdog coroutine,
///
///     co_await ((reader() && writer()) || watch());
///
/// on the same loop, through the same dispatcher. GET /prime/N is a request like a line;
/// /healthz, /readyz and /metrics are answered by the loop itself, so a frozen loop fails them.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "core/http_request.hpp"
#include "server/http_replies.hpp"
#include "server/metrics.hpp"
#include "server/session.hpp"

namespace primeloop {

/// What every HTTP session shares beyond a line session's context. Owned by the server.
struct http_context {
  session_context& base;
  const bool& not_ready;     ///< shutdown has begun: /readyz answers 503
  const metrics_info& info;  ///< for /metrics
};

class http_session final : public executors::result_sink,
                           public connection,
                           public std::enable_shared_from_this<http_session> {
 public:
  using clock = std::chrono::steady_clock;

  http_session(tcp::socket socket, http_context& ctx);
  http_session(const http_session&) = delete;
  http_session& operator=(const http_session&) = delete;

  /// The connection's whole life: requests until the client closes, asks to close, sends
  /// something unreadable, times out or the server drains; the responses owed; close.
  net::awaitable<void> run();

  /// Shutdown: reads no more requests; answers those in flight, then closes.
  void drain() override;
  /// Closes now: what is owed is dropped and its computations are cancelled.
  void close() override;

  void on_result(std::uint64_t tag, executors::outcome result) override;

 private:
  net::awaitable<void> reader();
  net::awaitable<void> read_requests();
  net::awaitable<void> writer();
  net::awaitable<void> watch();
  net::awaitable<void> end_of_stream(std::error_code ec);
  /// After the last response of a connection the server closes: stop sending, and read (and
  /// drop) what the client still sends for a moment, so that closing does not reset the
  /// connection before the client has read the response.
  net::awaitable<void> linger();

  /// Takes every complete request buffered; false when the connection reads no more.
  bool take_requests();
  void handle(const http::request& req);
  void dispatch(std::uint64_t tag, std::string_view number);
  void respond(std::uint64_t tag, int status, std::string_view body,
               std::string_view extra_headers = {});
  void respond_error(std::uint64_t tag, errc e);
  [[nodiscard]] bool owes_nothing() const { return replies_.empty() && !writing_; }

  tcp::socket socket_;
  http_context& ctx_;
  session_context& base_;
  http::request_reader reader_;
  http_replies replies_;
  std::string out_;
  connection_activity activity_;
  watchdog watchdog_;
  wake_signal writer_wake_;
  wake_signal reader_wake_;
  bool stop_reading_ = false;     // the last request was read (Connection: close, an error)
  bool drained_ = false;          // shutdown: read no further than drain_budget_
  std::size_t drain_budget_ = 0;  // bytes received before drain() and not read yet
  bool reading_done_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace primeloop
