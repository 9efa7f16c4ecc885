#pragma once
/// Each connection's share of a pool: how many of its requests the pool holds (accepted and not
/// answered yet, waiting or computing). --queue-limit bounds what waits over all connections;
/// the share keeps one connection from taking the whole queue and turning every other client's
/// requests into ERR busy. Loop thread only.
#include <cstddef>
#include <unordered_map>

#include "executors/executor_policy.hpp"

namespace primeloop::executors {

/// Requests of one connection a pool of `workers` may hold (waiting or computing), from the
/// config: connection_limit, or when 0 max(1, queue_limit / 4) + workers. A connection may have
/// a quarter of the queue waiting, so it leaves at least three quarters to the others, plus one
/// request per worker computing, since those take no room in the queue: a lone client can still
/// keep every worker busy, even with a small --queue-limit. With the defaults the share is over
/// 2500, more than --max-pipeline lets one connection send, so a lone client never meets it.
[[nodiscard]] std::size_t connection_share_of(const executor_config& config,
                                              std::size_t workers) noexcept;

/// Counts the requests each connection has in a pool.
class connection_share {
 public:
  explicit connection_share(std::size_t share) : share_(share) {}

  /// Counts one more request of sink; false (and nothing counted) when sink holds its share.
  [[nodiscard]] bool try_take(const result_sink* sink) {
    auto [it, fresh] = held_.try_emplace(sink, 0);
    if (it->second >= share_) return false;
    ++it->second;
    return true;
  }
  /// One request of sink was answered.
  void give_back(const result_sink* sink) {
    const auto it = held_.find(sink);
    if (it == held_.end()) return;
    if (--it->second == 0) held_.erase(it);
  }
  /// Every request of sink is gone (cancel_all): a later connection may get the same address.
  void forget(const result_sink* sink) { held_.erase(sink); }
  void clear() { held_.clear(); }

  [[nodiscard]] std::size_t share() const noexcept { return share_; }

 private:
  std::size_t share_;
  std::unordered_map<const result_sink*, std::size_t> held_;
};

}  // namespace primeloop::executors
