#include "server/loop_lag.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

namespace primeloop {

using clock = std::chrono::steady_clock;

struct loop_lag::state : std::enable_shared_from_this<state> {
  state(asio::any_io_executor loop, std::chrono::nanoseconds p, std::chrono::nanoseconds w)
      : timer(std::move(loop)), period(p), window(w) {}

  asio::steady_timer timer;
  const std::chrono::nanoseconds period;
  const std::chrono::nanoseconds window;
  bool stopped = false;
  lag_histogram histogram;  // loop thread only
  clock::time_point window_start;

  // Published for other threads (relaxed: each figure stands alone).
  std::atomic<std::int64_t> due_ns{0};  // 0: not armed
  std::atomic<std::int64_t> last_p99_ns{0};
  std::atomic<std::int64_t> last_max_ns{0};
  std::atomic<std::int64_t> max_ever_ns{0};
  std::atomic<std::uint64_t> samples{0};

  void arm(clock::time_point due) {
    due_ns.store(due.time_since_epoch().count(), std::memory_order_relaxed);
    timer.expires_at(due);
    timer.async_wait([self = shared_from_this()](std::error_code ec) { self->tick(ec); });
  }

  void tick(std::error_code ec) {
    if (ec || stopped) {
      due_ns.store(0, std::memory_order_relaxed);
      return;
    }
    const auto now = clock::now();
    histogram.record(now - timer.expiry(), period);
    // The window that holds the stall is published as soon as the loop runs again, so the stats
    // line shows the stall in the second after it ended.
    if (now - window_start >= window) {
      const auto w = histogram.take_window();
      last_p99_ns.store(w.p99.count(), std::memory_order_relaxed);
      last_max_ns.store(w.max.count(), std::memory_order_relaxed);
      window_start = now;
    }
    max_ever_ns.store(histogram.max().count(), std::memory_order_relaxed);
    samples.store(histogram.count(), std::memory_order_relaxed);
    // Due a period after this tick ran, not after it was due: a late tick is not followed by a
    // burst of catching-up ticks (the ticks it swallowed are counted by record()).
    arm(now + period);
  }
};

loop_lag::loop_lag(asio::any_io_executor loop, std::chrono::nanoseconds period,
                   std::chrono::nanoseconds window)
    : state_(std::make_shared<state>(std::move(loop), period, window)) {}

loop_lag::~loop_lag() {
  stop();
}

void loop_lag::start() {
  // On the loop: the timer and the histogram belong to the loop thread.
  asio::post(state_->timer.get_executor(), [s = state_] {
    if (s->stopped) return;
    s->window_start = clock::now();
    s->arm(s->window_start + s->period);
  });
}

void loop_lag::stop() {
  asio::post(state_->timer.get_executor(), [s = state_] {
    s->stopped = true;
    s->timer.cancel();
  });
}

loop_lag_snapshot loop_lag::snapshot() const noexcept {
  const auto& s = *state_;
  loop_lag_snapshot out;
  out.p99 = std::chrono::nanoseconds(s.last_p99_ns.load(std::memory_order_relaxed));
  out.max = std::chrono::nanoseconds(s.last_max_ns.load(std::memory_order_relaxed));
  out.max_ever = std::chrono::nanoseconds(s.max_ever_ns.load(std::memory_order_relaxed));
  out.samples = s.samples.load(std::memory_order_relaxed);
  const auto due = s.due_ns.load(std::memory_order_relaxed);
  const auto now = clock::now().time_since_epoch().count();
  if (due != 0 && now > due) out.overdue = std::chrono::nanoseconds(now - due);
  return out;
}

const lag_histogram& loop_lag::histogram() const noexcept {
  return state_->histogram;
}

std::string loop_lag::metrics() const {
  const auto& h = state_->histogram;
  std::string out;
  auto it = std::back_inserter(out);
  out +=
      "# HELP primeloop_loop_lag_seconds How late the loop ran a timer due every period; a stall "
      "also counts the ticks it swallowed (waits of work arriving during it).\n"
      "# TYPE primeloop_loop_lag_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < lag_histogram::bounds.size(); ++i) {
    cumulative += h.bucket(i);
    fmt::format_to(it, "primeloop_loop_lag_seconds_bucket{{le=\"{}\"}} {}\n",
                   lag_histogram::bounds[i], cumulative);
  }
  cumulative += h.bucket(lag_histogram::bounds.size());
  fmt::format_to(it, "primeloop_loop_lag_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  fmt::format_to(it, "primeloop_loop_lag_seconds_sum {}\n", h.sum_seconds());
  fmt::format_to(it, "primeloop_loop_lag_seconds_count {}\n", cumulative);
  return out;
}

std::string format_stats_lag(const loop_lag_snapshot& s) {
  const auto ms = [](std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; };
  // Overdue by less than a tenth of a second is ordinary scheduling, not a stuck loop.
  if (s.overdue > std::max(s.max, std::chrono::nanoseconds(std::chrono::milliseconds(100)))) {
    return fmt::format("lag now {:.1f} s (the loop is stuck)", ms(s.overdue) / 1000);
  }
  return fmt::format("lag p99 {:.2f} ms max {:.2f} ms", ms(s.p99), ms(s.max));
}

}  // namespace primeloop
