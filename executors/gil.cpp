#include "executors/gil.hpp"

#include <algorithm>

namespace primeloop::executors {

gil::gil(std::chrono::microseconds interval)
    : interval_(std::max(interval, std::chrono::microseconds{1})) {}

namespace {
/// The lock the calling thread holds, if any: release() after an acquire() that returned
/// without the lock (the model was switched off meanwhile) must not free another thread's hold.
thread_local const gil* held_by_this_thread = nullptr;
}  // namespace

void gil::disable() {
  {
    std::lock_guard lock(mutex_);
    std::lock_guard switch_lock(switch_mutex_);
    disabled_.store(true, std::memory_order_relaxed);
  }
  cond_.notify_all();
  switch_cond_.notify_all();
}

void gil::acquire() {
  if (disabled_.load(std::memory_order_relaxed)) return;
  const auto me = std::this_thread::get_id();
  std::unique_lock lock(mutex_);
  while (locked_ && !disabled_.load(std::memory_order_relaxed)) {
    const auto saved_switch = switch_number_;
    const bool timed_out = cond_.wait_for(lock, interval_) == std::cv_status::timeout;
    // Only a whole interval without any switch earns a drop request: when the lock changed
    // hands meanwhile, the new holder gets its own full slice first (as take_gil does).
    if (timed_out && locked_ && switch_number_ == saved_switch) {
      drop_request_.store(true, std::memory_order_relaxed);
      drop_requests_.fetch_add(1, std::memory_order_relaxed);
    }
    // Woken by a release but beaten to the lock (often by the thread that released it, which
    // is already running): wait a fresh slice, as CPython does.
  }
  if (disabled_.load(std::memory_order_relaxed)) return;
  held_by_this_thread = this;
  {
    // last_holder_ changes under switch_mutex_, so a thread in release() that checks it before
    // waiting on switch_cond_ cannot miss the change.
    std::lock_guard switch_lock(switch_mutex_);
    locked_ = true;
    if (last_holder_ != me) {
      last_holder_ = me;
      ++switch_number_;
    }
  }
  switch_cond_.notify_all();
  // Whoever asked, the lock just changed hands (or its holder came back): the request is served.
  drop_request_.store(false, std::memory_order_relaxed);
}

void gil::release() {
  if (held_by_this_thread != this) return;  // acquire() returned without it: switched off
  held_by_this_thread = nullptr;
  const auto me = std::this_thread::get_id();
  {
    std::lock_guard lock(mutex_);
    locked_ = false;
  }
  cond_.notify_one();
  // Forced switching: a holder that drops on request and could take the lock straight back
  // (it is already running, the waiter still has to be woken) waits until someone else took it.
  if (drop_request_.load(std::memory_order_relaxed)) {
    std::unique_lock switch_lock(switch_mutex_);
    if (last_holder_ == me) {
      drop_request_.store(false, std::memory_order_relaxed);
      switch_cond_.wait(switch_lock, [&] {
        return last_holder_ != me || disabled_.load(std::memory_order_relaxed);
      });
    }
  }
}

std::uint64_t gil::switches() const {
  std::lock_guard lock(mutex_);
  return switch_number_;
}

}  // namespace primeloop::executors
