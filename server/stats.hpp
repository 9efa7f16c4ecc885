#pragma once
/// Throughput counters and the per-second line. The counters are written by the loop thread and
/// read by a printer thread of their own, so the line keeps coming (and shows 0 req/s) while the
/// loop is frozen by an inline computation: that is the lesson's printout.
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/errc.hpp"
#include "core/lag_histogram.hpp"
#include "server/latency_histogram.hpp"

namespace primeloop {

/// Counters the loop thread updates (relaxed atomics: one writer, one reader, no ordering needed).
struct stats_counters {
  std::atomic<std::uint64_t> answered{0};     ///< replies with a prime
  std::atomic<std::uint64_t> errors{0};       ///< ERR replies
  std::atomic<std::uint64_t> in_flight{0};    ///< accepted requests not answered yet
  std::atomic<std::uint64_t> connections{0};  ///< open connections
  // The pool's view, published by the loop when it runs (stale while it is frozen).
  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> busy{0};
  std::atomic<std::uint64_t> workers{0};
  std::atomic<std::uint64_t> crashes{0};  ///< workers that died without being asked to
  std::atomic<std::uint64_t> kills{0};    ///< workers killed on purpose to cancel a request
  // For /metrics (server/metrics.hpp), written by the loop as well.
  std::atomic<std::uint64_t> http_connections{0};  ///< of `connections`, those speaking HTTP
  /// Requests by how they ended: [0] answered, [e] errc e (busy, timeout, cancelled, ...).
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(last_errc) + 1> outcomes{};
  latency_histogram latency;  ///< from dispatch to result, both protocols
  /// The same latencies for the live page's last second: the loop thread alone writes it and
  /// takes its window (server/server.cpp), so it is not atomic.
  lag_histogram latency_window;

  /// Counts one answer (e == errc{}) or one error reply, in the stats line's totals too.
  void count(errc e, std::uint64_t n = 1) noexcept {
    outcomes[static_cast<std::size_t>(e)].fetch_add(n, std::memory_order_relaxed);
    (e == errc{} ? answered : errors).fetch_add(n, std::memory_order_relaxed);
  }
};

/// How the printer reads the counters.
enum class stats_source {
  pool,  ///< busy is what the pool last published
  loop,  ///< the inline policy: a request in flight is the loop itself computing (busy 1/1)
};

/// Prints "stats: <N> req/s in-flight <a> queued <b> busy <c>/<w> connections <k> errors <e>
/// crashes <x> kills <y>" every interval on its own thread, until stop() or destruction; `extra`,
/// when given, is called on that thread and its words end the line (the server's loop lag).
class stats_printer {
 public:
  stats_printer(const stats_counters& counters, std::chrono::duration<double> interval,
                stats_source source = stats_source::pool, std::FILE* out = stdout,
                std::function<std::string()> extra = {});
  ~stats_printer();
  stats_printer(const stats_printer&) = delete;
  stats_printer& operator=(const stats_printer&) = delete;

  /// Stops the lines and waits for the last one to be written: nothing is printed after this
  /// returns (the server calls it before it says "shutting down"). Idempotent.
  void stop();

  /// The line for these counters, without its newline, given the rate computed by the printer.
  [[nodiscard]] static std::string format_line(const stats_counters& counters, std::uint64_t rate,
                                               stats_source source);

 private:
  void run(std::stop_token stop, std::uint64_t last_answered);

  const stats_counters& counters_;
  std::chrono::duration<double> interval_;
  stats_source source_;
  std::FILE* out_;
  std::function<std::string()> extra_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started after everything it reads
};

}  // namespace primeloop
