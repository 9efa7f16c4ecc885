// The loop-lag probe on an io_context of the test's own: a stall it makes on purpose (a busy
// handler: the event under test), an unstalled loop, and the histogram read by Prometheus' parser.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "prometheus_text.hpp"
#include "server/loop_lag.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using primeloop::loop_lag;

namespace {

constexpr auto period = 5ms;
constexpr auto stall = 300ms;

/// Holds the loop's thread busy for d: the stall, as an inline computation makes it.
void stall_for(std::chrono::nanoseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

/// Runs ctx's handlers until done() holds, or the deadline passes.
template <class Done>
bool run_until(asio::io_context& ctx, Done done, std::chrono::seconds deadline = 20s) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    ctx.run_one_for(100ms);
  }
  return true;
}

}  // namespace

TEST_CASE("A stall of the loop is recorded once the loop runs again, as long as it lasted",
          "[loop_lag]") {
  asio::io_context ctx;
  loop_lag probe(ctx.get_executor(), period, 100ms);
  probe.start();
  asio::post(ctx, [] { stall_for(stall); });  // after the first tick is armed (handlers in order)
  REQUIRE(run_until(ctx, [&] { return probe.histogram().max() >= stall - period; }));
  // The tick was armed at most a period before the stall began, so it fired at least
  // stall - period late.
  const auto& h = probe.histogram();
  const auto lag = h.max();
  CHECK(lag >= stall - period);
  // The ticks the stall swallowed are counted too: every lag - k periods over 250 ms.
  std::uint64_t expected_over_250ms = 0;
  for (auto v = lag; v > 250ms && v >= period; v -= period) ++expected_over_250ms;
  std::uint64_t over_250ms = 0;
  for (std::size_t i = 0; i <= primeloop::lag_histogram::bounds.size(); ++i) {
    if (i == primeloop::lag_histogram::bounds.size() || primeloop::lag_histogram::bounds[i] > 0.25)
      over_250ms += h.bucket(i);
  }
  CHECK(over_250ms >= expected_over_250ms);
  CHECK(h.count() >= static_cast<std::uint64_t>((stall - period) / period));
  // The window that held the stall is published as soon as the loop ran again.
  const auto s = probe.snapshot();
  CHECK(s.max >= stall - period);
  CHECK(s.p99 > 250ms);
  CHECK(s.max_ever == lag);
  probe.stop();
  ctx.run_for(1s);  // the cancellation; the loop then has no work and returns
}

TEST_CASE("An unstalled loop's p99 lag is less than a stall", "[loop_lag]") {
  asio::io_context ctx;
  loop_lag probe(ctx.get_executor(), period, 100ms);
  probe.start();
  REQUIRE(run_until(ctx, [&] { return probe.snapshot().samples >= 100; }));
  const auto s = probe.snapshot();
  CHECK(s.p99 < stall);
  CHECK(s.p99 <= s.max);
  CHECK(s.overdue < stall);
  probe.stop();
  ctx.run_for(1s);
}

TEST_CASE("While the loop is stuck, another thread sees the next tick overdue", "[loop_lag]") {
  asio::io_context ctx;
  loop_lag probe(ctx.get_executor(), period);
  probe.start();
  std::chrono::nanoseconds seen_overdue{0};
  asio::post(ctx, [&] {
    // On the loop, stuck: what the stats line's printer would read on its own thread.
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (seen_overdue < 100ms && std::chrono::steady_clock::now() < until)
      seen_overdue = probe.snapshot().overdue;
  });
  ctx.run_one();  // the arming
  ctx.run_one();  // the stuck handler
  CHECK(seen_overdue >= 100ms);
  probe.stop();
  ctx.run_for(1s);
}

TEST_CASE("The loop lag histogram is valid exposition text for Prometheus' parser", "[loop_lag]") {
  asio::io_context ctx;
  loop_lag probe(ctx.get_executor(), period, 100ms);
  probe.start();
  asio::post(ctx, [] { stall_for(stall); });
  REQUIRE(run_until(ctx, [&] { return probe.histogram().max() >= stall - period; }));
  const auto text = probe.metrics();
  CHECK(text.find("# TYPE primeloop_loop_lag_seconds histogram\n") != std::string::npos);
  CHECK(text.find("# HELP primeloop_loop_lag_seconds ") != std::string::npos);
  const auto m = primeloop::test::parse_with_prometheus(text, true);
  const auto count = static_cast<double>(probe.histogram().count());
  CHECK(m.at("histogram primeloop_loop_lag_seconds_count{}") == count);
  CHECK(m.at("histogram primeloop_loop_lag_seconds_bucket{le=+Inf}") == count);
  CHECK(m.at("histogram primeloop_loop_lag_seconds_bucket{le=30}") == count);
  CHECK(m.at("histogram primeloop_loop_lag_seconds_bucket{le=0.0001}") <=
        m.at("histogram primeloop_loop_lag_seconds_bucket{le=0.25}"));
  CHECK(m.at("histogram primeloop_loop_lag_seconds_bucket{le=0.25}") < count);
  CHECK(m.at("histogram primeloop_loop_lag_seconds_sum{}") >= 0.295);
  probe.stop();
  ctx.run_for(1s);
}

TEST_CASE("The stats line says the last second's lag, or that the loop is stuck now",
          "[loop_lag]") {
  primeloop::loop_lag_snapshot s;
  s.p99 = 80us;
  s.max = 210us;
  CHECK(primeloop::format_stats_lag(s) == "lag p99 0.08 ms max 0.21 ms");
  s.overdue = 3200ms;
  CHECK(primeloop::format_stats_lag(s) == "lag now 3.2 s (the loop is stuck)");
  s.overdue = 50ms;  // late, not stuck
  CHECK(primeloop::format_stats_lag(s) == "lag p99 0.08 ms max 0.21 ms");
}
