#pragma once
/// Requests waiting for a worker, scheduled across connections rather than across requests, so
/// that a newcomer waits for one turn of every other busy connection, never for another client's
/// whole backlog. Each connection (result_sink) has its own first-in, first-out lane; the lanes
/// that hold work take turns, one request per turn, in rounds in which each lane is served at
/// most once. A served lane goes to the next round; a connection that had nothing waiting joins
/// the current round unless it was served in it already. Not thread-safe: the owner guards it
/// (the loop thread alone, or the thread pool's mutex).
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
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
  [[nodiscard]] std::size_t connections() const noexcept { return now_.size() + next_.size(); }

  /// Adds a request behind its connection's others. A connection that had nothing waiting
  /// takes its turn after the connections waiting in this round, or, when it was served in this
  /// round already, in the next.
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
  /// `can_take` (a worker may run it); that connection then waits for the next round.
  /// Connections passed over keep their place, so they are first when a worker frees up.
  template <class Pred>
  [[nodiscard]] std::optional<T> take_if(Pred can_take) {
    if (now_.empty()) start_round();
    if (auto item = take_from(now_, can_take)) return item;
    return take_from(next_, can_take);  // nothing of this round may run now: the next may
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
    std::erase(now_, l);
    std::erase(next_, l);
    retire(l);
    served_.erase(sink);  // a later connection may get the same address
  }

  /// Removes every request, connection after connection, handing each to `each`.
  template <class F>
  void drain(F each) {
    for (auto* ring : {&now_, &next_}) {
      for (lane* l : *ring) {
        for (auto& item : l->items) each(item);
        retire(l);
      }
      ring->clear();
    }
    served_.clear();
    size_ = 0;
  }

  /// Removes, in every lane, the front requests that satisfy `late` (lanes are in arrival
  /// order, so the oldest are in front), handing each to `each`.
  template <class Pred, class F>
  void remove_fronts_while(Pred late, F each) {
    for (auto* ring : {&now_, &next_}) {
      for (auto it = ring->begin(); it != ring->end();) {
        lane* l = *it;
        while (!l->items.empty() && late(l->items.front())) {
          each(l->items.front());
          l->items.pop_front();
          --size_;
        }
        if (l->items.empty()) {
          retire(l);
          it = ring->erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  /// Calls `f` with the front request of every connection.
  template <class F>
  void for_each_front(F f) const {
    for (const lane* l : now_) f(l->items.front());
    for (const lane* l : next_) f(l->items.front());
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
      now_.push_front(l);
    } else if (served_.contains(sink)) {
      next_.push_back(l);  // it had its turn in this round
    } else {
      now_.push_back(l);
    }
    return *l;
  }

  /// Every lane of the round was served: the lanes served in it make the next one.
  void start_round() {
    now_.swap(next_);
    served_.clear();
  }

  template <class Pred>
  std::optional<T> take_from(std::deque<lane*>& ring, Pred& can_take) {
    for (auto it = ring.begin(); it != ring.end(); ++it) {
      lane* l = *it;
      if (!can_take(l->items.front())) continue;
      T item = std::move(l->items.front());
      l->items.pop_front();
      --size_;
      ring.erase(it);
      if (l->items.empty()) {
        served_.insert(l->sink);  // back in this round, it would pass the lanes still waiting
        retire(l);
      } else {
        next_.push_back(l);
      }
      return item;
    }
    return std::nullopt;
  }

  /// Forgets an empty (or emptied) lane; the caller takes it out of now_ or next_.
  void retire(lane* l) {
    index_.erase(l->sink);
    l->items.clear();
    l->sink = nullptr;
    spare_.push_back(l);
  }

  std::deque<lane*> now_;   // lanes with work not served in this round yet, in turn order
  std::deque<lane*> next_;  // lanes with work served in this round already, in turn order
  std::unordered_set<const result_sink*> served_;  // lanes served in this round, now empty
  std::unordered_map<const result_sink*, lane*> index_;
  std::vector<std::unique_ptr<lane>> owned_;
  std::vector<lane*> spare_;
  std::size_t size_ = 0;
};

}  // namespace primeloop::executors
