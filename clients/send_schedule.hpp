#pragma once
/// The open-loop schedule: request k of a run is due at start + k / rate, whatever happened to
/// the requests before it. Pure arithmetic, so it can be tested without a clock.
#include <chrono>
#include <cstdint>

namespace primeloop::clients {

/// When each request of an open-loop run is due, and which connection sends it.
class send_schedule {
 public:
  using clock = std::chrono::steady_clock;

  /// rate: requests per second over all connections (> 0); connections: how many share them.
  send_schedule(clock::time_point start, double rate, unsigned connections);

  /// When request k (0-based, over the whole run) is due.
  [[nodiscard]] clock::time_point due(std::uint64_t k) const noexcept;
  /// How many requests are due at or before t: the index of the first one due after t.
  [[nodiscard]] std::uint64_t due_by(clock::time_point t) const noexcept;
  /// The connection that sends request k: round robin, so each one sends rate / connections
  /// per second on its own fixed schedule.
  [[nodiscard]] unsigned connection_of(std::uint64_t k) const noexcept {
    return static_cast<unsigned>(k % connections_);
  }
  /// The start of the schedule (request 0 is due then).
  [[nodiscard]] clock::time_point start() const noexcept { return start_; }
  /// Requests per second.
  [[nodiscard]] double rate() const noexcept { return rate_; }

 private:
  clock::time_point start_;
  double rate_;
  unsigned connections_;
};

}  // namespace primeloop::clients
