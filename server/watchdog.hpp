#pragma once
/// The deadlines of one connection as a coroutine beside its reader and writer, the way Asio's
/// timeout_watchdog.cpp watches an echo loop. The reader and writer only record what moved, in
/// a connection_activity; the watchdog looks when its timer fires, so the hot path pays nothing.
#include <chrono>
#include <cstdint>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "core/errc.hpp"

namespace primeloop {

/// What moved on a connection; written by its reader and writer, read by its watchdog.
struct connection_activity {
  using clock = std::chrono::steady_clock;
  clock::time_point last_received{};  ///< when the last bytes were read
  /// When the first byte of a request not complete yet arrived; max(): none is waiting for
  /// the client (nothing started, or the server is not reading).
  clock::time_point request_started = clock::time_point::max();
  std::uint64_t bytes_written = 0;  ///< replies the kernel took, in total
  std::size_t computing = 0;        ///< requests with the executor, no result yet
};

/// The limits a watchdog enforces; zero turns one off.
struct watch_limits {
  /// Nothing received, nothing delivered to the client and nothing computing for this long.
  std::chrono::milliseconds idle{0};
  /// A started request must be complete this long after its first byte.
  std::chrono::milliseconds request{0};
};

/// Closes nothing itself: run() returns the limit that passed, and the session says why and
/// closes. Loop thread only.
class watchdog {
 public:
  using clock = std::chrono::steady_clock;

  watchdog(asio::ip::tcp::socket& socket, const connection_activity& activity, watch_limits limits);

  /// Waits until a limit passes and returns it: errc::idle_timeout or errc::line_timeout. Returns
  /// errc{} after stop() or when cancelled.
  asio::awaitable<errc> run();

  /// activity.request_started was just set: looks again now if that deadline comes before the
  /// one the timer waits for.
  void request_started();
  /// Ends run(). Called when the connection closes.
  void stop();

 private:
  /// Bytes of replies the client's side has acknowledged: written, minus what still waits in
  /// our send queue. A client that does not read closes its receive window, and this stops
  /// growing even while our own send buffer still takes writes.
  [[nodiscard]] std::uint64_t delivered() const noexcept;

  asio::ip::tcp::socket& socket_;
  const connection_activity& activity_;
  watch_limits limits_;
  asio::steady_timer timer_;
  clock::time_point armed_for_ = clock::time_point::max();
  bool stopped_ = false;
};

}  // namespace primeloop
