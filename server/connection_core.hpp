#pragma once
/// What a connection is below its protocol, shared by the line protocol's session and the HTTP
/// session: the socket and what moved on it, the idle watchdog, the reader's and the writer's
/// wake-ups, the drain budget, the computations in flight, the writer loop and closing. Each
/// session owns one and adds its framing, its replies and its own reasons to stop reading.
///
/// A read is one small coroutine (read_some, inside session_base::read_more); Asio takes its
/// frame from the thread's cache of recycled blocks, so a read rarely reaches malloc. Loop thread
/// only.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "core/protocol.hpp"
#include "executors/executor_policy.hpp"
#include "executors/gil.hpp"
#include "server/connection_manager.hpp"
#include "server/dispatcher.hpp"
#include "server/options.hpp"
#include "server/stats.hpp"
#include "server/wake_signal.hpp"
#include "server/watchdog.hpp"

namespace primeloop {

namespace net = asio;
using tcp = net::ip::tcp;

/// Completion token of every operation here: the error comes back as a value, not an exception.
inline constexpr auto use_tuple = net::experimental::as_tuple(net::use_awaitable);

/// What every session of one server shares. Owned by the server; outlives every session.
struct session_context {
  dispatcher& work;
  const server_options& options;
  const protocol::error_lines& errors;
  stats_counters& stats;
  connection_manager& connections;
  executors::gil* gil = nullptr;  ///< the interpreter-lock model (--gil); null: off
};

class connection_core {
 public:
  using clock = std::chrono::steady_clock;

  /// After end of stream, how long work in flight may still finish before it is cancelled.
  /// Also how long a connection held back by --max-pipeline waits for a reply to go out before
  /// it looks for its client's end of stream, and how long a read may wait for a computation.
  static constexpr std::chrono::milliseconds eof_linger{100};

  /// self is the session that owns this core: its close() is what the loops here call, and
  /// its computations are the ones cancelled.
  connection_core(tcp::socket socket, session_context& ctx, connection& self,
                  executors::result_sink& sink);
  connection_core(const connection_core&) = delete;
  connection_core& operator=(const connection_core&) = delete;

  tcp::socket& socket() noexcept { return socket_; }
  connection_activity& activity() noexcept { return activity_; }
  watchdog& dog() noexcept { return watchdog_; }
  wake_signal& writer_wake() noexcept { return writer_wake_; }
  wake_signal& reader_wake() noexcept { return reader_wake_; }
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  [[nodiscard]] bool draining() const noexcept { return draining_; }
  [[nodiscard]] bool writing() const noexcept { return writing_; }

  /// The connection starts: its idle time counts from now, and the manager knows it.
  void start();
  /// Shutdown: the reader goes on through exactly the bytes the kernel had already received
  /// (a client that keeps sending cannot hold the connection), then sees end of stream. False
  /// when it was draining or closed already.
  bool begin_drain();
  /// Cancels what is computing, closes the socket, stops the watchdog, wakes both loops and
  /// leaves the manager. False when it was closed already.
  bool close();

  /// Waits until the client has something to say, so that an idle connection holds no read
  /// buffer. False when the connection ends first.
  net::awaitable<bool> wait_readable();
  /// True when a drain has read every byte it owes: the reader ends.
  [[nodiscard]] bool drain_read() const noexcept { return draining_ && drain_budget_ == 0; }
  /// What read_some brought.
  struct read_result {
    std::error_code ec;
    std::size_t n = 0;
    bool filled = false;  ///< it filled all the room it had: more may be waiting in the kernel
    bool ended = false;   ///< (session_base::read_more) the reader ends here
  };
  /// Reads once into space (during a drain, no more than the bytes still owed).
  net::awaitable<read_result> read_some(std::span<char> space);
  /// The reader has ended: the writer ends once nothing is owed.
  void reading_ended();

  /// A read failed: false when the session has nothing more to do (the read was cancelled,
  /// or the client reset the connection and it is closed now); true on end of stream, which
  /// the session handles by its protocol.
  bool end_of_stream(std::error_code ec);
  /// After the client's end of stream: answers that come within eof_linger still go out, then
  /// what is still computing is cancelled (a gone client must not keep a core busy).
  net::awaitable<void> finish_after_eof();
  /// Waits until done() holds, `until` passes or the connection closes; woken by results and
  /// by finished writes.
  template <class Done>
  net::awaitable<void> wait_until(Done done, clock::time_point until) {
    while (!closed_ && !done() && clock::now() < until) co_await reader_wake_.wait(until);
  }

  /// Hands n to the executor with tag; false when it is refused (the pool is full).
  bool submit(std::uint64_t n, std::uint64_t tag);
  /// A result came for a request sent at `started`: counts it. The session then fills its reply.
  void result_arrived(clock::time_point started, errc e);

  /// The writer: every reply ready at the head of replies goes in one write, until the reader
  /// has ended and nothing is owed, or the connection closes. Replies needs head_ready(),
  /// empty() and take_ready(std::string&).
  template <class Replies>
  net::awaitable<void> write_replies(Replies& replies);

  /// Runs the watchdog; returns the limit that passed, or errc{} when the connection ended
  /// otherwise. The session says why in its protocol, then closes.
  net::awaitable<errc> watch();

 private:
  tcp::socket socket_;
  session_context& ctx_;
  connection& self_;
  executors::result_sink& sink_;
  connection_activity activity_;
  watchdog watchdog_;
  wake_signal writer_wake_;       // a reply became ready, or the reader ended
  wake_signal reader_wake_;       // a write finished, or the last computation did
  std::string out_;               // the write in progress; reused
  bool draining_ = false;         // shutdown: read no further than drain_budget_
  std::size_t drain_budget_ = 0;  // bytes received before the drain and not read yet
  bool reading_done_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

/// The part of a session every protocol has: its connection_core, its three coroutines joined
/// the way Asio's chat_server.cpp and timeout_watchdog.cpp join theirs, and the two ways the
/// connection manager ends it. A protocol adds how requests are read and what a passed limit
/// says to the client.
class session_base : public executors::result_sink, public connection {
 public:
  using clock = std::chrono::steady_clock;

  /// Shutdown: reads only the bytes the kernel had already received, answers every complete
  /// request among them and those in flight, then ends.
  void drain() final { core_.begin_drain(); }
  /// Closes now: what is owed is dropped and its computations are cancelled.
  void close() final { core_.close(); }

 protected:
  session_base(tcp::socket socket, session_context& ctx)
      : core_(std::move(socket), ctx, *this, *this) {}
  ~session_base() = default;

  ///     co_await ((reader() && writer) || watch());
  /// Returns when the reader has ended and nothing is owed, or the connection closed.
  template <class Replies>
  net::awaitable<void> serve(Replies& replies);

  /// Reads and dispatches requests until the connection reads no more. Runs once the client
  /// has sent its first bytes: a connection that has sent nothing has no read buffer.
  virtual net::awaitable<void> read_requests() = 0;
  /// Runs core_.watch() and says why to the client, in the protocol's words, before closing.
  virtual net::awaitable<void> watch() = 0;
  /// The reader's next read, once everything buffered has been handled: ended when a drain has
  /// read every byte it owes, or when the read failed. A reset (or an error) closes the
  /// connection; end of stream from the client, not from our own drain, is client_left().
  net::awaitable<connection_core::read_result> read_more(std::span<char> space);
  /// The client half-closed. By default answers that come within eof_linger still go out, then
  /// what is still computing is cancelled (connection_core::finish_after_eof).
  virtual net::awaitable<void> client_left() { return core_.finish_after_eof(); }

  connection_core core_;

 private:
  net::awaitable<void> reader();
};

template <class Replies>
net::awaitable<void> session_base::serve(Replies& replies) {
  using namespace net::experimental::awaitable_operators;
  co_await ((reader() && core_.write_replies(replies)) || watch());
}

template <class Replies>
net::awaitable<void> connection_core::write_replies(Replies& replies) {
  co_await net::this_coro::throw_if_cancelled(false);
  while (!closed_) {
    if (!replies.head_ready()) {
      if (reading_done_ && replies.empty()) co_return;  // nothing owed, nothing more to come
      co_await writer_wake_.wait();
      continue;
    }
    out_.clear();
    replies.take_ready(out_);
    writing_ = true;
    // Piece by piece rather than async_write, so that activity_.bytes_written is exact at every
    // moment (the watchdog's delivered count relies on it).
    for (std::size_t sent = 0; sent < out_.size();) {
      auto [ec, n] = co_await socket_.async_write_some(
          net::buffer(out_.data() + sent, out_.size() - sent), use_tuple);
      if (ec) {
        writing_ = false;
        self_.close();
        co_return;
      }
      sent += n;
      activity_.bytes_written += n;
    }
    writing_ = false;
    reader_wake_.notify();
  }
}

}  // namespace primeloop
