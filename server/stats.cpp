#include "server/stats.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace primeloop {

stats_printer::stats_printer(const stats_counters& counters, std::chrono::duration<double> interval,
                             stats_source source, std::FILE* out,
                             std::function<std::string()> extra)
    : counters_(counters),
      interval_(interval),
      source_(source),
      out_(out),
      extra_(std::move(extra)) {
  // The first count is taken here, not on the new thread: a thread that starts late on a busy
  // machine would otherwise miss the answers given before it ran.
  const auto answered = counters_.answered.load(std::memory_order_relaxed);
  if (interval_.count() > 0) {
    thread_ = std::jthread([this, answered](std::stop_token st) { run(st, answered); });
  }
}

stats_printer::~stats_printer() {
  stop();
}

void stats_printer::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

std::string stats_printer::format_line(const stats_counters& c, std::uint64_t rate,
                                       stats_source source) {
  const auto load = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  const auto in_flight = load(c.in_flight);
  // Inline computes inside submit(), on the loop: whatever is in flight is being computed, and
  // the loop cannot publish that while it is frozen, so the line works it out.
  const auto busy =
      source == stats_source::loop ? std::min<std::uint64_t>(in_flight, 1) : load(c.busy);
  const auto workers = source == stats_source::loop ? std::uint64_t{1} : load(c.workers);
  return fmt::format(
      "stats: {} req/s in-flight {} queued {} busy {}/{} connections {} errors {} "
      "crashes {} kills {}",
      rate, in_flight, load(c.queued), busy, workers, load(c.connections), load(c.errors),
      load(c.crashes), load(c.kills));
}

void stats_printer::run(std::stop_token stop, std::uint64_t last_answered) {
  using clock = std::chrono::steady_clock;
  const auto step = std::chrono::duration_cast<clock::duration>(interval_);
  auto next = clock::now() + step;
  auto last_time = clock::now();
  std::unique_lock lock(mutex_);
  for (;;) {
    // The predicate is never true: wait_until returns at `next` or when stop is requested, and
    // only stop_requested() tells the two apart (without it, shutdown would spin here forever).
    (void)wake_.wait_until(lock, stop, next, [] { return false; });
    if (stop.stop_requested()) break;
    const auto now = clock::now();
    const auto answered = counters_.answered.load(std::memory_order_relaxed);
    const double seconds = std::chrono::duration<double>(now - last_time).count();
    const auto rate = static_cast<std::uint64_t>(
        static_cast<double>(answered - last_answered) / (seconds > 0 ? seconds : 1.0) + 0.5);
    if (extra_) {
      fmt::print(out_, "{} {}\n", format_line(counters_, rate, source_), extra_());
    } else {
      fmt::print(out_, "{}\n", format_line(counters_, rate, source_));
    }
    std::fflush(out_);
    last_answered = answered;
    last_time = now;
    next += step;
    if (next < now) next = now + step;  // after a stall, do not print a burst of catch-up lines
  }
}

}  // namespace primeloop
