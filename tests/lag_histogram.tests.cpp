// The loop-lag histogram alone: the coordinated-omission correction, the buckets, the window.
#include <catch2/catch.hpp>

#include "core/lag_histogram.hpp"

using namespace std::chrono_literals;
using primeloop::lag_histogram;

TEST_CASE("A stall of 8 s on a 5 ms timer records 8 s and the 1599 ticks it swallowed",
          "[lag_histogram]") {
  lag_histogram h;
  h.record(8s, 5ms);
  CHECK(h.count() == 1600);
  CHECK(h.max() == 8s);
  // 8 + 7.995 + ... + 0.005: the mean wait of work arriving during the stall, times the ticks.
  CHECK(h.sum_seconds() == Approx(1600 * (8.0 + 0.005) / 2));
  const auto w = h.take_window();
  CHECK(w.samples == 1600);
  CHECK(w.max == 8s);
  // The 99th of 100 ticks during a stall waited 99% of the way down from the top... or so: the
  // nearest rank 1584 is 7.92 s, and the window's buckets are at most 5% wide.
  CHECK(w.p99 >= 7.9s);
  CHECK(w.p99 <= 8s);
  CHECK(w.p50 >= 4s);
  CHECK(w.p50 <= 4.2s);
}

TEST_CASE("A lag shorter than the period, or a period of zero, records one observation",
          "[lag_histogram]") {
  lag_histogram h;
  h.record(3ms, 5ms);
  h.record(9ms, 5ms);  // 9 ms, and 4 ms is under the period: not a swallowed tick
  h.record(2s, 0ns);
  CHECK(h.count() == 3);
  CHECK(h.max() == 2s);
}

TEST_CASE("Lags fall in the bucket whose bound is the first at or above them", "[lag_histogram]") {
  lag_histogram h;
  h.record(100us, 0ns);  // le 0.0001
  h.record(101us, 0ns);  // le 0.00025
  h.record(30s, 0ns);    // le 30
  h.record(31s, 0ns);    // +Inf
  CHECK(h.bucket(0) == 1);
  CHECK(h.bucket(1) == 1);
  CHECK(h.bucket(lag_histogram::bounds.size() - 1) == 1);
  CHECK(h.bucket(lag_histogram::bounds.size()) == 1);
  CHECK(lag_histogram::bounds.front() == 0.0001);
  CHECK(lag_histogram::bounds.back() == 30);
}

TEST_CASE("Taking the window empties it and leaves the cumulative figures", "[lag_histogram]") {
  lag_histogram h;
  for (int i = 0; i < 99; ++i) h.record(100us, 5ms);
  h.record(50ms, 5ms);  // 50 ms and 9 swallowed ticks: 10 of 109 above 1 ms
  auto w = h.take_window();
  CHECK(w.samples == 109);
  CHECK(w.max == 50ms);
  CHECK(w.p99 >= 40ms);
  w = h.take_window();
  CHECK(w.samples == 0);
  CHECK(w.p99 == 0ns);
  CHECK(w.max == 0ns);
  CHECK(h.count() == 109);
  CHECK(h.max() == 50ms);
}

TEST_CASE("An unstalled window's p99 stands near its lags, never above its max",
          "[lag_histogram]") {
  lag_histogram h;
  for (int i = 1; i <= 200; ++i) h.record(std::chrono::microseconds(i), 5ms);
  const auto w = h.take_window();
  CHECK(w.max == 200us);
  CHECK(w.p99 >= 198us);
  CHECK(w.p99 <= 200us);
  CHECK(w.p50 >= 100us);
  CHECK(w.p50 <= 105us);
}
