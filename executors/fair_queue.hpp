#pragma once
/// Requests waiting for a worker, scheduled across connections rather than across requests.
/// Each connection (result_sink) has its own first-in, first-out lane; the lanes that hold work
/// take turns, one request per turn (round robin). So a newcomer waits for at most one turn of
/// every other busy connection, never for another client's whole backlog. Not thread-safe: the
/// owner guards it (the loop thread alone, or the thread pool's mutex).
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "executors/executor_policy.hpp"

namespace primeloop::executors {

/// A queue of T (a request, or a pointer to one) with a member `sink`: the connection it
/// belongs to.
template <class T>
class fair_queue {
 public:
  /// Requests waiting, over every lane.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Connections with work waiting.
  [[nodiscard]] std::size_t connections() const noexcept { return ring_.size(); }

  /// Adds a request behind its connection's others. A connection that had nothing waiting
  /// takes its turn after every connection already waiting.
  void push_back(T item) {
    lane& l = lane_of(sink_of(item), false);
    l.items.push_back(std::move(item));
    ++size_;
  }

  /// Puts a request back in front of its connection's others (it was taken, and must run
  /// again: its worker died). A connection that had nothing waiting takes the next turn.
  void push_front(T item) {
    lane& l = lane_of(sink_of(item), true);
    l.items.push_front(std::move(item));
    ++size_;
  }

  /// The front request of the first connection, in turn order, whose front request satisfies
  /// `can_take` (a worker may run it); that connection's turn then goes to the back. Connections
  /// passed over keep their place, so they are first when a worker frees up.
  template <class Pred>
  [[nodiscard]] std::optional<T> take_if(Pred can_take) {
    for (auto it = ring_.begin(); it != ring_.end(); ++it) {
      lane* l = *it;
      if (!can_take(l->items.front())) continue;
      T item = std::move(l->items.front());
      l->items.pop_front();
      --size_;
      ring_.erase(it);
      if (l->items.empty()) {
        retire(l);
      } else {
        ring_.push_back(l);
      }
      return item;
    }
    return std::nullopt;
  }

  /// The next request in turn order.
  [[nodiscard]] std::optional<T> take() {
    return take_if([](const T&) { return true; });
  }

  /// Removes every request of `sink`, in order, handing each to `each`.
  template <class F>
  void remove(const result_sink* sink, F each) {
    const auto found = index_.find(sink);
    if (found == index_.end()) return;
    lane* l = found->second;
    for (auto& item : l->items) each(item);
    size_ -= l->items.size();
    std::erase(ring_, l);
    retire(l);
  }

  /// Removes every request, connection after connection, handing each to `each`.
  template <class F>
  void drain(F each) {
    for (lane* l : ring_) {
      for (auto& item : l->items) each(item);
      retire(l);
    }
    ring_.clear();
    size_ = 0;
  }

  /// Removes, in every lane, the front requests that satisfy `late` (lanes are in arrival
  /// order, so the oldest are in front), handing each to `each`.
  template <class Pred, class F>
  void remove_fronts_while(Pred late, F each) {
    for (auto it = ring_.begin(); it != ring_.end();) {
      lane* l = *it;
      while (!l->items.empty() && late(l->items.front())) {
        each(l->items.front());
        l->items.pop_front();
        --size_;
      }
      if (l->items.empty()) {
        retire(l);
        it = ring_.erase(it);
      } else {
        ++it;
      }
    }
  }

  /// Calls `f` with the front request of every connection.
  template <class F>
  void for_each_front(F f) const {
    for (const lane* l : ring_) f(l->items.front());
  }

 private:
  struct lane {
    const result_sink* sink = nullptr;
    std::deque<T> items;
  };

  static const result_sink* sink_of(const T& item) {
    if constexpr (std::is_pointer_v<T>) {
      return item->sink;
    } else {
      return item.sink;
    }
  }

  lane& lane_of(const result_sink* sink, bool next_turn) {
    auto [it, fresh] = index_.try_emplace(sink, nullptr);
    if (!fresh) return *it->second;
    // Lanes are reused: a connection that comes and goes costs no allocation once warm, but
    // for its entry in the index.
    if (spare_.empty()) {
      owned_.push_back(std::make_unique<lane>());
      spare_.push_back(owned_.back().get());
    }
    lane* l = spare_.back();
    spare_.pop_back();
    l->sink = sink;
    it->second = l;
    if (next_turn) {
      ring_.push_front(l);
    } else {
      ring_.push_back(l);
    }
    return *l;
  }

  /// Forgets an empty (or emptied) lane; the caller takes it out of ring_.
  void retire(lane* l) {
    index_.erase(l->sink);
    l->items.clear();
    l->sink = nullptr;
    spare_.push_back(l);
  }

  std::deque<lane*> ring_;  // lanes with work, in turn order
  std::unordered_map<const result_sink*, lane*> index_;
  std::vector<std::unique_ptr<lane>> owned_;
  std::vector<lane*> spare_;
  std::size_t size_ = 0;
};

}  // namespace primeloop::executors
