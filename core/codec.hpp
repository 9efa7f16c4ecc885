#pragma once
/// What a protocol is to a connection (server/connection.hpp): a state machine fed bytes that
/// returns events and formats replies, in the sans-I/O style of Python's h11. It never touches a
/// socket, a timer or a coroutine, so each codec is unit-tested and fuzzed alone. The line
/// protocol (core/line_codec.hpp) and the HTTP face (core/http_codec.hpp) are the two.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/errc.hpp"
#include "core/reply_store.hpp"

namespace primeloop::protocol {

/// What a codec found in the bytes fed to it.
struct event {
  enum class kind : std::uint8_t {
    need_more,  ///< nothing complete is buffered
    request,    ///< compute the nth prime; complete(tag, ...) gives the answer
    replied,    ///< answered without work (bad input, a health check): the reply is queued
  };
  kind what = kind::need_more;
  std::uint64_t tag = 0;  ///< the request's slot in replies()
  std::uint64_t n = 0;    ///< with request
  errc error{};           ///< with replied: the error it answered (counted), errc{} for none
};

/// What end of stream from the client asks of the connection.
enum class end_rule : std::uint8_t {
  linger,    ///< the client left: answers that come soon go out, then its work is cancelled
  wait_all,  ///< the client half-closed to say "that was my request": every answer goes out
};

class codec {
 public:
  virtual ~codec() = default;

  /// Where the next read may write (the buffer is allocated on the first call: a connection
  /// that has sent nothing holds none).
  [[nodiscard]] virtual std::span<char> prepare() = 0;
  /// n bytes were written into the span prepare() returned.
  virtual void commit(std::size_t n) = 0;
  /// The next event in what is buffered.
  [[nodiscard]] virtual event next() = 0;
  /// Bytes received and not taken as a request yet.
  [[nodiscard]] virtual std::size_t buffered() const = 0;
  /// True once the codec reads no more: after a fatal reply, or a request that asked to close.
  [[nodiscard]] bool done() const noexcept { return done_; }

  /// True when what is buffered is a whole request if nothing more is on its way (the line
  /// protocol's bare number): the connection asks the socket, and calls take_bare() if so.
  [[nodiscard]] virtual bool maybe_bare() const { return false; }
  /// What is buffered, as one request.
  [[nodiscard]] virtual event take_bare() { return {}; }
  /// What end of stream from the client means now.
  [[nodiscard]] virtual end_rule end_of_stream() const { return end_rule::linger; }

  /// The answer to request tag: value, or error e (a failed computation, or busy).
  virtual void complete(std::uint64_t tag, std::uint64_t value, errc e) = 0;
  /// The server shuts down: replies from now on say the connection closes.
  virtual void drain() {}
  /// What the client is told when a limit passed (idle_timeout, line_timeout) and the
  /// connection closes; empty: nothing.
  [[nodiscard]] virtual std::string last_word(errc why) const = 0;
  /// After the last reply of a connection the server ends: read (and drop) what the client
  /// still sends for a moment, so the close does not reset the connection under the reply.
  [[nodiscard]] virtual bool linger_at_close() const { return false; }

  /// The replies, in request order.
  [[nodiscard]] reply_store& replies() noexcept { return replies_; }
  [[nodiscard]] const reply_store& replies() const noexcept { return replies_; }

 protected:
  codec() = default;
  reply_store replies_;
  bool done_ = false;
};

}  // namespace primeloop::protocol
