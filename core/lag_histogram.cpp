#include "core/lag_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace primeloop {
namespace {

constexpr double growth = 1.05;

std::size_t window_index(std::chrono::nanoseconds lag, std::size_t buckets) noexcept {
  const double us = static_cast<double>(lag.count()) / 1000.0;
  if (us < 1.0) return 0;
  const auto i = static_cast<std::size_t>(std::log(us) / std::log(growth)) + 1;
  return std::min(i, buckets - 1);
}

/// The upper bound of window bucket i (bucket i >= 1 holds [1.05^(i-1), 1.05^i) us).
std::chrono::nanoseconds window_bound(std::size_t i) noexcept {
  if (i == 0) return std::chrono::microseconds(1);
  return std::chrono::nanoseconds(
      static_cast<std::int64_t>(std::pow(growth, static_cast<double>(i)) * 1000.0));
}

}  // namespace

void lag_histogram::record(std::chrono::nanoseconds lag, std::chrono::nanoseconds period) noexcept {
  if (lag.count() < 0) lag = std::chrono::nanoseconds(0);
  observe(lag);
  if (period.count() <= 0) return;
  // The ticks a stall swallowed are the waits of work that arrived during it: what arrived a
  // period into an 8 s stall waited 7.995 s. Without them an 8 s stall is one sample among the
  // second's 200 and the p99 would not see it.
  for (auto missed = lag - period; missed >= period; missed -= period) observe(missed);
}

void lag_histogram::observe(std::chrono::nanoseconds lag) noexcept {
  const double s = std::chrono::duration<double>(lag).count();
  std::size_t i = 0;
  while (i < bounds.size() && s > bounds[i]) ++i;
  ++buckets_[i];
  ++count_;
  sum_seconds_ += s;
  max_ = std::max(max_, lag);

  ++window_[window_index(lag, window_buckets)];
  ++window_count_;
  window_max_ = std::max(window_max_, lag);
}

std::chrono::nanoseconds lag_histogram::window_quantile(double q) const noexcept {
  if (window_count_ == 0) return std::chrono::nanoseconds(0);
  // The smallest lag at or below which a share q of the window lies (nearest rank).
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(window_count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < window_buckets; ++i) {
    seen += window_[i];
    if (seen >= rank) return std::min(window_bound(i), window_max_);
  }
  return window_max_;
}

lag_window lag_histogram::take_window() noexcept {
  lag_window w;
  w.samples = window_count_;
  w.max = window_max_;
  w.p50 = window_quantile(0.5);
  w.p99 = window_quantile(0.99);
  window_.fill(0);
  window_count_ = 0;
  window_max_ = std::chrono::nanoseconds(0);
  return w;
}

}  // namespace primeloop
