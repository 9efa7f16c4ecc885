#include "server/connection_manager.hpp"

#include <utility>
#include <vector>

#include "server/connection.hpp"

namespace primeloop {

connection_manager::connection_manager(const asio::any_io_executor& ex, stats_counters& stats,
                                       std::chrono::milliseconds idle_timeout)
    : stats_(stats), idle_timeout_(idle_timeout), sweep_timer_(ex) {}

void connection_manager::join(connection& c) {
  auto at = quiet_.end();
  if (idle_timeout_.count() > 0) at = quiet_.insert(quiet_.end(), {&c, clock::now()});
  open_.emplace(&c, at);
  stats_.connections.fetch_add(1, std::memory_order_relaxed);
  arm();
  if (draining_) c.drain();
}

void connection_manager::started(connection& c) {
  const auto it = open_.find(&c);
  if (it == open_.end() || it->second == quiet_.end()) return;
  quiet_.erase(std::exchange(it->second, quiet_.end()));
}

void connection_manager::leave(connection& c) {
  const auto it = open_.find(&c);
  if (it == open_.end()) return;
  if (it->second != quiet_.end()) quiet_.erase(it->second);
  open_.erase(it);
  stats_.connections.fetch_sub(1, std::memory_order_relaxed);
  notify_if_empty();
}

void connection_manager::drain_all(std::function<void()> all_closed) {
  draining_ = true;
  all_closed_ = std::move(all_closed);
  // A copy: a connection may close, and leave the set, while it is drained.
  std::vector<connection*> all;
  for (const auto& [c, at] : open_) all.push_back(c);
  for (auto* c : all) {
    if (open_.contains(c)) c->drain();
  }
  notify_if_empty();
}

void connection_manager::close_all() {
  std::vector<connection*> all;
  for (const auto& [c, at] : open_) all.push_back(c);
  for (auto* c : all) {
    if (open_.contains(c)) c->close();
  }
  sweep_timer_.cancel();
}

void connection_manager::notify_if_empty() {
  if (!draining_ || !open_.empty() || !all_closed_) return;
  sweep_timer_.cancel();
  std::exchange(all_closed_, nullptr)();
}

void connection_manager::arm() {
  if (armed_ || quiet_.empty()) return;
  armed_ = true;
  sweep_timer_.expires_at(quiet_.front().since + idle_timeout_);
  sweep_timer_.async_wait([this](std::error_code ec) {
    armed_ = false;
    if (!ec) sweep();
  });
}

void connection_manager::sweep() {
  const auto now = clock::now();
  while (!quiet_.empty() && quiet_.front().since + idle_timeout_ <= now) {
    connection* c = quiet_.front().c;
    started(*c);  // off the list first: expiring it closes it, which leaves the set
    c->expire(errc::idle_timeout);
  }
  arm();
}

}  // namespace primeloop
