#include "server/stats.hpp"

#include <fmt/format.h>

namespace primeloop {

stats_printer::stats_printer(const stats_counters& counters, std::chrono::duration<double> interval,
                             std::FILE* out)
    : counters_(counters), interval_(interval), out_(out) {
  if (interval_.count() > 0) thread_ = std::jthread([this](std::stop_token st) { run(st); });
}

stats_printer::~stats_printer() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void stats_printer::run(std::stop_token stop) {
  using clock = std::chrono::steady_clock;
  const auto step = std::chrono::duration_cast<clock::duration>(interval_);
  auto next = clock::now() + step;
  auto last_answered = counters_.answered.load(std::memory_order_relaxed);
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
    fmt::print(out_,
               "stats: {} req/s in-flight {} queued {} busy {}/{} connections {} errors {} "
               "respawns {}\n",
               rate, counters_.in_flight.load(std::memory_order_relaxed),
               counters_.queued.load(std::memory_order_relaxed),
               counters_.busy.load(std::memory_order_relaxed),
               counters_.workers.load(std::memory_order_relaxed),
               counters_.connections.load(std::memory_order_relaxed),
               counters_.errors.load(std::memory_order_relaxed),
               counters_.respawns.load(std::memory_order_relaxed));
    std::fflush(out_);
    last_answered = answered;
    last_time = now;
    next += step;
    if (next < now) next = now + step;  // after a stall, do not print a burst of catch-up lines
  }
}

}  // namespace primeloop
