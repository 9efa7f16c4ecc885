#pragma once
/// One connection of the HTTP face (docs/protocol.md, "The HTTP face"), built like the line
/// protocol's session (server/session.hpp), on the same connection_core: a reader, a writer and
/// a watchdog coroutine,
///
///     co_await ((reader() && writer()) || watch());
///
/// on the same loop, through the same dispatcher. GET /prime/N is a request like a line;
/// /healthz, /readyz and /metrics are answered by the loop itself, so a frozen loop fails them.
#include <cstdint>
#include <memory>
#include <string_view>

#include <asio/awaitable.hpp>

#include "core/http_request.hpp"
#include "server/connection_core.hpp"
#include "server/http_replies.hpp"
#include "server/metrics.hpp"

namespace primeloop {

/// What every HTTP session shares beyond a line session's context. Owned by the server.
struct http_context {
  session_context& base;
  const bool& not_ready;     ///< shutdown has begun: /readyz answers 503
  const metrics_info& info;  ///< for /metrics
};

class http_session final : public session_base, public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket socket, http_context& ctx);

  /// The connection's whole life: requests until the client closes, asks to close, sends
  /// something unreadable, times out or the server drains; the responses owed; close.
  net::awaitable<void> run();

  void on_result(std::uint64_t tag, executors::outcome result) override;

 private:
  net::awaitable<void> read_requests() override;
  net::awaitable<void> watch() override;
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

  http_context& ctx_;
  session_context& base_;
  connection_activity& activity_;  // core_'s
  http::request_reader reader_;
  http_replies replies_;
  bool stop_reading_ = false;  // the last request was read (Connection: close, an error)
};

}  // namespace primeloop
