#pragma once
/// One connection of the line protocol (docs/architecture.md, "The session"): three coroutines
/// joined the way Asio's chat_server.cpp and timeout_watchdog.cpp join theirs,
///
///     co_await ((reader() && writer()) || watch());
///
/// The reader frames requests and hands them to the dispatcher in order; the writer sends every
/// reply ready at the head of the queue in one write; the watchdog closes a connection that is
/// idle or too slow to finish a line. Everything runs on the loop thread; results come back
/// through on_result, also on the loop thread (possibly inside submit). What it shares with the
/// HTTP session (the socket, the watchdog, draining, the writer loop, closing) is its
/// connection_core.
#include <cstdint>
#include <memory>
#include <string_view>

#include <asio/awaitable.hpp>

#include "core/protocol.hpp"
#include "server/connection_core.hpp"
#include "server/reply_queue.hpp"

namespace primeloop {

class session final : public session_base, public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, session_context& ctx);

  /// The connection's whole life: read and dispatch until end of stream, an error, a fatal
  /// protocol error or shutdown; deliver what is owed; close.
  net::awaitable<void> run();

  void on_result(std::uint64_t tag, executors::outcome result) override;

 private:
  net::awaitable<void> read_requests() override;
  net::awaitable<void> watch() override;
  net::awaitable<void> client_left() override;
  net::awaitable<bool> wait_for_room();

  bool handle_read();
  bool dispatch_buffered();
  void dispatch_bare();
  void dispatch(std::string_view line);
  void reply_error(std::uint64_t tag, errc e);
  /// Starts or stops the line deadline after the framer consumed what it could.
  void track_partial_line(std::uint64_t lines_before);
  [[nodiscard]] bool owes_nothing() const { return replies_.empty() && !core_.writing(); }

  session_context& ctx_;
  connection_activity& activity_;  // core_'s
  protocol::line_framer framer_;
  reply_queue replies_;
  std::uint64_t lines_ = 0;    // requests framed so far
  bool stop_reading_ = false;  // a fatal protocol error
};

}  // namespace primeloop
