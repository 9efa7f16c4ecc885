#pragma once
/// A log-linear latency histogram in the spirit of HdrHistogram: fixed storage, no allocation
/// when recording, about 3% relative error on every percentile.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace primeloop::clients {

/// Counts latencies (in nanoseconds) in buckets that are linear within each power of two.
class latency_histogram {
 public:
  /// Linear sub-buckets per power of two: 32 gives a worst-case relative error of 1/32.
  static constexpr unsigned sub_bucket_bits = 5;
  static constexpr std::uint64_t sub_buckets = 1u << sub_bucket_bits;
  /// Latencies up to 2^max_bits ns (about 39 hours) are kept exactly to the bucket; longer ones
  /// land in the last bucket (max() stays exact).
  static constexpr unsigned max_bits = 47;
  static constexpr std::size_t bucket_count = (max_bits - sub_bucket_bits + 2) * sub_buckets;

  /// Records one latency. Allocation-free, a few instructions.
  void record(std::chrono::nanoseconds latency) noexcept;
  /// Adds every count of other into this one.
  void merge(const latency_histogram& other) noexcept;
  /// Forgets every recorded value.
  void reset() noexcept;

  /// Number of recorded values.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  /// The largest recorded value (exact), or zero when empty.
  [[nodiscard]] std::chrono::nanoseconds max() const noexcept;
  /// The smallest recorded value (exact), or zero when empty.
  [[nodiscard]] std::chrono::nanoseconds min() const noexcept;
  /// The arithmetic mean (exact), or zero when empty.
  [[nodiscard]] std::chrono::nanoseconds mean() const noexcept;
  /// The value below or at which a fraction q (0..1) of the values lie: the highest value of
  /// that bucket, capped at max(). Zero when empty.
  [[nodiscard]] std::chrono::nanoseconds percentile(double q) const noexcept;

  /// The bucket index of a value in nanoseconds (exposed for tests).
  [[nodiscard]] static std::size_t bucket_of(std::uint64_t ns) noexcept;
  /// The highest value that falls into a bucket (exposed for tests).
  [[nodiscard]] static std::uint64_t highest_in(std::size_t bucket) noexcept;

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  // Sum in nanoseconds: 2^64 ns is 584 years of summed latency, enough for any run.
  std::uint64_t sum_ = 0;
};

/// Percentiles of answered requests together with requests still waiting for their answer.
/// A waiting request counts with its age so far, a lower bound on its latency; a figure that
/// such a request may have decided is marked as a lower bound ("at least").
struct latency_figures {
  std::uint64_t answered = 0;  ///< answered requests counted
  std::uint64_t waiting = 0;   ///< waiting requests counted (with their age so far)
  std::chrono::nanoseconds p50{0};
  std::chrono::nanoseconds p99{0};
  std::chrono::nanoseconds max{0};
  bool p50_lower_bound = false;
  bool p99_lower_bound = false;
  bool max_lower_bound = false;
  /// The tail the open-loop summary adds (the closed-loop output keeps to the three above).
  std::chrono::nanoseconds p90{0};
  std::chrono::nanoseconds p999{0};   ///< p99.9
  std::chrono::nanoseconds p9999{0};  ///< p99.99
  bool p90_lower_bound = false;
  bool p999_lower_bound = false;
  bool p9999_lower_bound = false;

  /// Nothing was counted: no figure exists (shown as "-", not as 0).
  [[nodiscard]] bool empty() const noexcept { return answered + waiting == 0; }
};

/// Copies the three figures and their lower-bound marks into any record that has the same
/// fields (a second's sample, the lab's summary row).
template <class Record>
void copy_figures(const latency_figures& f, Record& to) {
  to.p50 = f.p50;
  to.p99 = f.p99;
  to.max = f.max;
  to.p50_lower_bound = f.p50_lower_bound;
  to.p99_lower_bound = f.p99_lower_bound;
  to.max_lower_bound = f.max_lower_bound;
}

/// The figures of answered plus the waiting requests that have waited longer than every
/// answered one (the stuck ones: a server that froze). Requests merely in flight, younger than
/// the slowest answer, are left out so that a flowing run's figures are not all "at least".
[[nodiscard]] latency_figures figures_with_waiting(
    latency_histogram answered, std::span<const std::chrono::nanoseconds> waiting_ages);

}  // namespace primeloop::clients
