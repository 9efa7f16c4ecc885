#include "server/connection_manager.hpp"

#include <utility>
#include <vector>

namespace primeloop {

void connection_manager::join(connection& c) {
  open_.insert(&c);
  stats_.connections.fetch_add(1, std::memory_order_relaxed);
  if (draining_) c.drain();
}

void connection_manager::leave(connection& c) {
  if (open_.erase(&c) == 0) return;
  stats_.connections.fetch_sub(1, std::memory_order_relaxed);
  notify_if_empty();
}

void connection_manager::drain_all(std::function<void()> all_closed) {
  draining_ = true;
  all_closed_ = std::move(all_closed);
  // A copy: a connection may close, and leave the set, while it is drained.
  for (auto* c : std::vector(open_.begin(), open_.end())) {
    if (open_.contains(c)) c->drain();
  }
  notify_if_empty();
}

void connection_manager::close_all() {
  for (auto* c : std::vector(open_.begin(), open_.end())) {
    if (open_.contains(c)) c->close();
  }
}

void connection_manager::notify_if_empty() {
  if (!draining_ || !open_.empty() || !all_closed_) return;
  std::exchange(all_closed_, nullptr)();
}

}  // namespace primeloop
