#pragma once
/// The open connections of one server, as in Asio's http/server example: who is connected, the
/// ways to end them, draining (shutdown), then reading no more and closing (past the grace), and
/// the idle timeout of those that have sent nothing yet. Those are swept by one timer here instead
/// of one per connection: all wait the same --idle-timeout, so the oldest is always the first to
/// expire.
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include "server/stats.hpp"

namespace primeloop {

class connection;

/// The set of open connections; keeps the stats line's connection count. Loop thread only.
class connection_manager {
 public:
  using clock = std::chrono::steady_clock;

  /// idle_timeout: how long a connection may stay without sending its first byte; 0: forever.
  connection_manager(const asio::any_io_executor& ex, stats_counters& stats,
                     std::chrono::milliseconds idle_timeout);
  connection_manager(const connection_manager&) = delete;
  connection_manager& operator=(const connection_manager&) = delete;

  /// A connection starts (server/connection.hpp) and waits for its first byte. While
  /// draining, it is drained at once.
  void join(connection& c);
  /// The connection's client has sent its first bytes: its own watchdog takes over.
  void started(connection& c);
  /// A connection has closed. The last one to leave while draining calls the drain's callback.
  void leave(connection& c);
  /// Shutdown: drains every connection, and any that joins later; `all_closed` runs once no
  /// connection is left (at once when there is none).
  void drain_all(std::function<void()> all_closed);
  /// The drain's grace has passed: every connection reads nothing more, and ends once its
  /// replies are out (connection::stop_reading).
  void stop_reading_all();
  /// Closes every connection now.
  void close_all();

  [[nodiscard]] std::size_t size() const noexcept { return open_.size(); }

 private:
  struct quiet {
    connection* c;
    clock::time_point since;
  };
  using quiet_list = std::list<quiet>;

  /// The connections open now.
  [[nodiscard]] std::vector<connection*> snapshot() const;
  void notify_if_empty();
  /// When a quiet connection is ended: --idle-timeout after it joined, or while draining
  /// connection::drain_wait after it joined or the drain began.
  [[nodiscard]] clock::time_point deadline(const quiet& q) const;
  /// Arms the sweep for the oldest quiet connection, unless it is armed already.
  void arm();
  /// Closes every quiet connection past the idle timeout, then arms for the next.
  void sweep();

  stats_counters& stats_;
  std::chrono::milliseconds idle_timeout_;
  /// Every open connection, with its place in quiet_ (quiet_.end() once it has spoken).
  std::unordered_map<connection*, quiet_list::iterator> open_;
  quiet_list quiet_;  // oldest first
  asio::steady_timer sweep_timer_;
  bool armed_ = false;
  bool draining_ = false;
  clock::time_point drain_began_{};
  std::function<void()> all_closed_;
};

}  // namespace primeloop
