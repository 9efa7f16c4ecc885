#pragma once
/// Request latency as a Prometheus histogram: fixed buckets in seconds, counted by the loop
/// thread with relaxed atomics (as stats_counters are), read by whoever formats /metrics.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace primeloop {

/// Counts of observations per bucket, their sum and their count.
class latency_histogram {
 public:
  /// Upper bounds of the buckets, in seconds (the last, +Inf, is implicit): from a cheap
  /// request on the loop to the slowest a --max-n allows.
  static constexpr std::array<double, 16> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                 0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                 1,      2.5,     5,      10};

  /// Records one request's latency.
  void observe(std::chrono::nanoseconds d) noexcept {
    const double s = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while (i < bounds.size() && s > bounds[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    const auto ns = d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  }

  /// Observations in bucket i alone (not cumulative); i == bounds.size() is past the last bound.
  [[nodiscard]] std::uint64_t bucket(std::size_t i) const noexcept {
    return counts_[i].load(std::memory_order_relaxed);
  }
  /// The sum of every latency observed, in seconds.
  [[nodiscard]] double sum_seconds() const noexcept {
    return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  }

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace primeloop
