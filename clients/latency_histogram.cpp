#include "clients/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace primeloop::clients {

std::size_t latency_histogram::bucket_of(std::uint64_t ns) noexcept {
  // Values below 2 * sub_buckets get a bucket each; above, each power of two [2^m, 2^(m+1)) is
  // split into sub_buckets equal parts.
  if (ns < 2 * sub_buckets) return static_cast<std::size_t>(ns);
  const unsigned msb = static_cast<unsigned>(std::bit_width(ns)) - 1;
  if (msb > max_bits) return bucket_count - 1;
  const unsigned shift = msb - sub_bucket_bits;
  const std::uint64_t sub = (ns >> shift) - sub_buckets;
  return static_cast<std::size_t>((shift + 1) * sub_buckets + sub);
}

std::uint64_t latency_histogram::highest_in(std::size_t bucket) noexcept {
  if (bucket < 2 * sub_buckets) return bucket;
  const std::uint64_t shift = bucket / sub_buckets - 1;
  const std::uint64_t sub = bucket % sub_buckets + sub_buckets;
  return ((sub + 1) << shift) - 1;
}

void latency_histogram::record(std::chrono::nanoseconds latency) noexcept {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
  ++counts_[bucket_of(ns)];
  ++count_;
  sum_ += ns;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void latency_histogram::reset() noexcept {
  *this = latency_histogram{};
}

std::chrono::nanoseconds latency_histogram::max() const noexcept {
  return std::chrono::nanoseconds{static_cast<std::int64_t>(max_)};
}

std::chrono::nanoseconds latency_histogram::min() const noexcept {
  return std::chrono::nanoseconds{count_ == 0 ? 0 : static_cast<std::int64_t>(min_)};
}

std::chrono::nanoseconds latency_histogram::mean() const noexcept {
  return std::chrono::nanoseconds{count_ == 0 ? 0 : static_cast<std::int64_t>(sum_ / count_)};
}

std::chrono::nanoseconds latency_histogram::percentile(double q) const noexcept {
  if (count_ == 0) return std::chrono::nanoseconds{0};
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the wanted value, 1-based: the smallest rank r with r >= q * count.
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::chrono::nanoseconds{static_cast<std::int64_t>(std::min(highest_in(i), max_))};
    }
  }
  return max();
}

latency_figures figures_with_waiting(latency_histogram answered,
                                     std::span<const std::chrono::nanoseconds> waiting_ages) {
  latency_figures f;
  f.answered = answered.count();
  const auto answered_max = answered.max();
  auto youngest_stuck = std::chrono::nanoseconds::max();
  for (const auto age : waiting_ages) {
    if (age <= answered_max) continue;
    answered.record(age);
    youngest_stuck = std::min(youngest_stuck, age);
    ++f.waiting;
  }
  // A figure in the bucket of the youngest stuck request or above may be one of their ages (or
  // be pushed up by one once it is answered): it is only known to be at least that.
  const auto bound = [&](std::chrono::nanoseconds v) {
    return f.waiting > 0 &&
           latency_histogram::bucket_of(static_cast<std::uint64_t>(v.count())) >=
               latency_histogram::bucket_of(static_cast<std::uint64_t>(youngest_stuck.count()));
  };
  f.p50 = answered.percentile(0.5);
  f.p99 = answered.percentile(0.99);
  f.max = answered.max();
  f.p90 = answered.percentile(0.90);
  f.p999 = answered.percentile(0.999);
  f.p9999 = answered.percentile(0.9999);
  f.p90_lower_bound = bound(f.p90);
  f.p999_lower_bound = bound(f.p999);
  f.p9999_lower_bound = bound(f.p9999);
  f.p50_lower_bound = bound(f.p50);
  f.p99_lower_bound = bound(f.p99);
  f.max_lower_bound = bound(f.max);
  return f;
}

}  // namespace primeloop::clients
