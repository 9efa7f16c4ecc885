#pragma once
/// A model of CPython 3's global interpreter lock (the "new GIL" of Python 3.2+,
/// Python/ceval_gil.c), so primeloop can show what the lock does to a thread pool (--gil).
///
/// One lock is shared by the loop thread (while it handles an event) and the pool's workers
/// (while they compute). A thread that waits longer than the switch interval without any switch
/// happening sets a drop request; the holder sees it at its next check point (the workload's
/// interrupt check, standing in for the eval loop's "eval breaker"), releases, and with forced
/// switching does not try to take the lock back before another thread took it.
/// docs/gil.md describes the model and its sources.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace primeloop::executors {

/// The interpreter lock. Not recursive: a thread that holds it must not acquire it again.
class gil {
 public:
  /// CPython's default switch interval (sys.getswitchinterval() == 0.005).
  static constexpr std::chrono::microseconds default_interval{5'000};

  /// A lock nobody holds; waiters ask for it after `interval` (at least 1 us, as CPython).
  explicit gil(std::chrono::microseconds interval = default_interval);
  gil(const gil&) = delete;
  gil& operator=(const gil&) = delete;

  /// Takes the lock (CPython's take_gil): waits in slices of the switch interval and sets the
  /// drop request when a whole slice passed with no switch.
  void acquire();
  /// Releases the lock (CPython's drop_gil). If a drop request is pending and no other thread
  /// has taken the lock since this one, waits until one has (forced switching).
  void release();

  /// The check point of a computation that holds the lock: one relaxed load when nobody asked;
  /// when another thread asked, releases, lets it run, and takes the lock back.
  void yield_if_requested() {
    if (drop_request_.load(std::memory_order_relaxed)) {
      release();
      acquire();
    }
  }

  /// True while some waiter asks the holder to release.
  [[nodiscard]] bool drop_requested() const noexcept {
    return drop_request_.load(std::memory_order_relaxed);
  }
  /// Switches the model off for good: waiters return at once, acquire() no longer takes the
  /// lock and release() frees only a lock really taken. For shutdown, so that every loop event
  /// does not wait a switch interval (up to a second) while the server stops.
  void disable();

  /// Times the lock went to a different thread than its last holder (CPython's switch_number).
  [[nodiscard]] std::uint64_t switches() const;
  /// Drop requests set by waiters since the start.
  [[nodiscard]] std::uint64_t drop_requests() const noexcept {
    return drop_requests_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::chrono::microseconds interval() const noexcept { return interval_; }

  /// Holds the lock for a scope; does nothing for a null lock (--gil off costs one branch).
  class hold {
   public:
    explicit hold(gil* lock) : lock_(lock) {
      if (lock_ != nullptr) lock_->acquire();
    }
    ~hold() {
      if (lock_ != nullptr) lock_->release();
    }
    hold(const hold&) = delete;
    hold& operator=(const hold&) = delete;

   private:
    gil* lock_;
  };

 private:
  const std::chrono::microseconds interval_;

  // mutex_ guards locked_ and switch_number_; cond_ signals releases (CPython's gil->mutex,
  // gil->locked, gil->cond).
  mutable std::mutex mutex_;
  std::condition_variable cond_;
  bool locked_ = false;
  std::uint64_t switch_number_ = 0;

  // switch_mutex_ guards last_holder_; switch_cond_ signals that a new thread took the lock
  // (CPython's FORCE_SWITCHING pair).
  std::mutex switch_mutex_;
  std::condition_variable switch_cond_;
  std::thread::id last_holder_{};

  // Read without any mutex at every check point, as CPython's eval_breaker.
  std::atomic<bool> drop_request_{false};
  std::atomic<std::uint64_t> drop_requests_{0};
  std::atomic<bool> disabled_{false};  // written under both mutexes, read anywhere
};

}  // namespace primeloop::executors
