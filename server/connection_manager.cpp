#include "server/connection_manager.hpp"

#include <utility>
#include <vector>

#include "server/connection.hpp"

namespace primeloop {

connection_manager::connection_manager(const asio::any_io_executor& ex, stats_counters& stats,
                                       std::chrono::milliseconds idle_timeout)
    : stats_(stats), idle_timeout_(idle_timeout), sweep_timer_(ex) {}

void connection_manager::join(connection& c) {
  // Listed even with no idle timeout: a drain ends the quiet ones too.
  const auto at = quiet_.insert(quiet_.end(), {&c, clock::now()});
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
  if (!draining_) drain_began_ = clock::now();
  draining_ = true;
  all_closed_ = std::move(all_closed);
  for (auto* c : snapshot()) {
    if (open_.contains(c)) c->drain();
  }
  // The quiet ones now wait connection::drain_wait at most: the sweep is armed again (arming
  // a pending timer cancels its wait).
  armed_ = false;
  arm();
  notify_if_empty();
}

void connection_manager::stop_reading_all() {
  for (auto* c : snapshot()) {
    if (open_.contains(c)) c->stop_reading();
  }
}

void connection_manager::close_all() {
  for (auto* c : snapshot()) {
    if (open_.contains(c)) c->close();
  }
  sweep_timer_.cancel();
  armed_ = false;
}

std::vector<connection*> connection_manager::snapshot() const {
  // A copy: a connection may close, and leave the set, while the caller goes through it.
  std::vector<connection*> all;
  all.reserve(open_.size());
  for (const auto& [c, at] : open_) all.push_back(c);
  return all;
}

void connection_manager::notify_if_empty() {
  if (!draining_ || !open_.empty() || !all_closed_) return;
  sweep_timer_.cancel();
  armed_ = false;
  std::exchange(all_closed_, nullptr)();
}

connection_manager::clock::time_point connection_manager::deadline(const quiet& q) const {
  auto at = idle_timeout_.count() > 0 ? q.since + idle_timeout_ : clock::time_point::max();
  // Draining: a connection that has not spoken may still send the request it was opened for;
  // it is given as long as one that spoke gets for its one more.
  if (draining_) at = std::min(at, std::max(q.since, drain_began_) + connection::drain_wait);
  return at;
}

void connection_manager::arm() {
  if (armed_ || quiet_.empty()) return;
  armed_ = true;
  // Oldest first, and both deadlines grow with `since`: the front's is the soonest.
  sweep_timer_.expires_at(deadline(quiet_.front()));
  sweep_timer_.async_wait([this](std::error_code ec) {
    if (ec) return;  // cancelled: whoever cancelled it has cleared armed_
    armed_ = false;
    sweep();
  });
}

void connection_manager::sweep() {
  const auto now = clock::now();
  while (!quiet_.empty() && deadline(quiet_.front()) <= now) {
    connection* c = quiet_.front().c;
    started(*c);  // off the list first: ending it closes it, which leaves the set
    if (draining_) {
      c->stop_reading();  // it never spoke: closed without a word
    } else {
      c->expire(errc::idle_timeout);
    }
  }
  arm();
}

}  // namespace primeloop
