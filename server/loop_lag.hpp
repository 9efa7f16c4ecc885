#pragma once
/// The loop's lag: a timer on the server's own loop, due every period (5 ms), records how late
/// it fired. It has no thread of its own: when the loop is stuck, so is the probe, and the stall
/// is recorded once the loop runs again (an 8 s stall records 8 s, and the ticks it swallowed;
/// core/lag_histogram.hpp). The last second's p99 and max, and how overdue the next tick is now,
/// are readable from any thread (the stats line's printer); the histogram and the snapshot are
/// read on the loop thread (/metrics, /live.json).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <asio/any_io_executor.hpp>

#include "core/lag_histogram.hpp"

namespace primeloop {

/// What /live.json and the stats line show of the loop's lag.
struct loop_lag_snapshot {
  std::chrono::nanoseconds p99{0};       ///< of the last whole second
  std::chrono::nanoseconds max{0};       ///< of the last whole second
  std::chrono::nanoseconds overdue{0};   ///< how late the next tick is now (0: not due yet)
  std::chrono::nanoseconds max_ever{0};  ///< since start
  std::uint64_t samples = 0;             ///< since start, corrected ones included
};

/// The probe: started on the loop's executor, stopped (or destroyed) before the loop ends.
class loop_lag {
 public:
  /// A probe on `loop` (the server's one io_context) whose timer is due every `period`, and
  /// whose "last second" is a window of `window`.
  explicit loop_lag(asio::any_io_executor loop,
                    std::chrono::nanoseconds period = std::chrono::milliseconds(5),
                    std::chrono::nanoseconds window = std::chrono::seconds(1));
  ~loop_lag();
  loop_lag(const loop_lag&) = delete;
  loop_lag& operator=(const loop_lag&) = delete;

  /// Arms the first tick. Call once, on any thread; the ticks run on the loop.
  void start();
  /// Cancels the timer; nothing is recorded after the loop has run the cancellation. Idempotent.
  void stop();

  /// The last whole window's p99 and max, and how overdue the next tick is. Any thread.
  [[nodiscard]] loop_lag_snapshot snapshot() const noexcept;

  /// primeloop_loop_lag_seconds, a histogram, in the text exposition format 0.0.4 (HELP, TYPE,
  /// buckets, sum, count). On the loop thread.
  [[nodiscard]] std::string metrics() const;

  /// The histogram itself, for tests and the lab. On the loop thread.
  [[nodiscard]] const lag_histogram& histogram() const noexcept;

 private:
  struct state;
  std::shared_ptr<state> state_;  // shared with the pending tick, which may outlive *this
};

/// The stats line's words for the loop's lag: "lag p99 0.08 ms max 0.21 ms", and while the loop
/// is stuck (the next tick overdue by more than the last second's max) "lag now 3.2 s (the loop
/// is stuck)", which the printer's own thread can say while the loop cannot.
[[nodiscard]] std::string format_stats_lag(const loop_lag_snapshot& s);

}  // namespace primeloop
