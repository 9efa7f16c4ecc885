#pragma once
/// The open connections of one server, as in Asio's http/server example: who is connected, and
/// the two ways to end them, draining (shutdown) and closing (past the grace).
#include <cstddef>
#include <functional>
#include <unordered_set>

#include "server/stats.hpp"

namespace primeloop {

/// What the manager needs of a connection, whatever protocol it speaks.
class connection {
 public:
  /// Reads no more requests; those already read are still answered, then it closes.
  virtual void drain() = 0;
  /// Closes now: what is owed is dropped and its computations are cancelled. Calls leave().
  virtual void close() = 0;

 protected:
  ~connection() = default;
};

/// The set of open connections; keeps the stats line's connection count. Loop thread only.
class connection_manager {
 public:
  explicit connection_manager(stats_counters& stats) : stats_(stats) {}
  connection_manager(const connection_manager&) = delete;
  connection_manager& operator=(const connection_manager&) = delete;

  /// A connection starts. While draining, it is drained at once.
  void join(connection& c);
  /// A connection has closed. The last one to leave while draining calls the drain's callback.
  void leave(connection& c);
  /// Shutdown: drains every connection, and any that joins later; `all_closed` runs once no
  /// connection is left (at once when there is none).
  void drain_all(std::function<void()> all_closed);
  /// Closes every connection now.
  void close_all();

  [[nodiscard]] std::size_t size() const noexcept { return open_.size(); }
  [[nodiscard]] bool draining() const noexcept { return draining_; }

 private:
  void notify_if_empty();

  stats_counters& stats_;
  std::unordered_set<connection*> open_;
  bool draining_ = false;
  std::function<void()> all_closed_;
};

}  // namespace primeloop
