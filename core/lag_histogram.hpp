#pragma once
/// How late a periodic timer fired, as a histogram: cumulative Prometheus buckets from 100 us to
/// 30 s, and a window (the last second, say) whose p99 and max are taken and reset. Pure: the
/// caller measures and passes durations; no clock, no I/O, one thread.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace primeloop {

/// The p50, p99 and max of the lags recorded in one window.
struct lag_window {
  std::chrono::nanoseconds p50{0};  ///< at most 5% above the true p50, never above max
  std::chrono::nanoseconds p99{0};  ///< at most 5% above the true p99, never above max
  std::chrono::nanoseconds max{0};  ///< exact
  std::uint64_t samples = 0;        ///< lags recorded in the window (corrected ones included)
};

/// Lags of a timer due every `period`, counted with the correction for coordinated omission.
class lag_histogram {
 public:
  /// Upper bounds of the cumulative buckets, in seconds (the last, +Inf, is implicit).
  static constexpr std::array<double, 17> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                 0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                 1,      2.5,     5,      10,    30};

  /// Records one tick that fired `lag` after it was due. A lag longer than the period also
  /// records the ticks the stall swallowed: lag - period, lag - 2 period, ... down to the
  /// period (as HdrHistogram's recordValueWithExpectedInterval does). A period of zero records
  /// the lag alone.
  void record(std::chrono::nanoseconds lag, std::chrono::nanoseconds period) noexcept;

  /// Observations in bucket i alone (not cumulative); i == bounds.size() is past the last bound.
  [[nodiscard]] std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i]; }
  /// Every observation so far.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  /// The sum of every observation so far, in seconds.
  [[nodiscard]] double sum_seconds() const noexcept { return sum_seconds_; }
  /// The largest observation so far.
  [[nodiscard]] std::chrono::nanoseconds max() const noexcept { return max_; }

  /// The current window's p50, p99 and max; the window starts again empty.
  [[nodiscard]] lag_window take_window() noexcept;

 private:
  void observe(std::chrono::nanoseconds lag) noexcept;
  [[nodiscard]] std::chrono::nanoseconds window_quantile(double q) const noexcept;

  // The window: log-spaced buckets 5% wide from 1 us up (index 0 holds everything under 1 us,
  // the last everything over ~10 minutes), so its memory is fixed whatever the stall.
  static constexpr std::size_t window_buckets = 420;
  std::array<std::uint32_t, window_buckets> window_{};
  std::uint64_t window_count_ = 0;
  std::chrono::nanoseconds window_max_{0};

  std::array<std::uint64_t, bounds.size() + 1> buckets_{};
  std::uint64_t count_ = 0;
  double sum_seconds_ = 0;
  std::chrono::nanoseconds max_{0};
};

}  // namespace primeloop
