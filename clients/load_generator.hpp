#pragma once
/// The load generator: many connections on one thread, each sending small requests back to back
/// (optionally pipelined), per-second counts and latency histograms, and an optional long request
/// that starts after a delay. A coroutine on the caller's executor, so the lab can run it next to
/// its own work on one io_context.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "clients/latency_histogram.hpp"

namespace primeloop::clients {

/// What to send, to whom, and for how long.
struct load_config {
  std::string host = "127.0.0.1";       ///< server address (numeric IPv4/IPv6 or a name)
  std::uint16_t port = 0;               ///< server port
  unsigned connections = 16;            ///< small-request connections
  std::uint64_t n = 1;                  ///< what each small request asks for
  unsigned depth = 1;                   ///< requests outstanding per connection (1 = ping-pong)
  unsigned duration_s = 10;             ///< measured seconds (one sample each)
  std::chrono::milliseconds warmup{0};  ///< load before the measured seconds, not counted
  std::optional<std::uint64_t> long_n;  ///< when set, one more connection asks for it repeatedly
  std::chrono::milliseconds long_after{5000};  ///< when the long connection starts (from the
                                               ///< start of the measured seconds)
  /// When above zero, the long connection is closed at the end of this measured second (the
  /// server then cancels what it computes for it) and no long request is sent after it.
  unsigned long_until_s = 0;
  /// Open loop when above zero: this many requests a second over all connections, each due at
  /// a fixed time (see send_schedule), sent then even when earlier ones are still unanswered.
  /// Zero: closed loop (each connection sends when its answers come back).
  double rate = 0;
  /// Open loop: the latency the share of slow small requests during the long one is counted
  /// against.
  std::chrono::microseconds slo{10'000};
};

/// What an open-loop run adds to its result. There, every latency of load_result (seconds,
/// total, latency) is corrected: timed from when the request was due, not from when it went
/// out, so a request delayed by a stalled server counts the whole delay.
struct open_loop_result {
  double rate = 0;             ///< requests per second asked for
  std::uint64_t due = 0;       ///< requests due in the measured seconds
  std::uint64_t sent = 0;      ///< of those, handed to their connection
  std::uint64_t answered = 0;  ///< of those, answered with a number
  std::uint64_t errors = 0;    ///< of those, answered with ERR
  /// Latency uncorrected, as a client that waits for each answer before it sends the next one
  /// would time it: from the later of the request's send and the answer before it on its
  /// connection. A stall then costs one slow request per connection (coordinated omission),
  /// where the corrected figures count every request that fell due during it.
  latency_histogram uncorrected;
  latency_figures latency_uncorrected;  ///< its figures, unanswered requests as lower bounds
  /// The client's own lag: how late after its due time each request was handed to its
  /// connection (a request due but never handed over counts with its wait until the end).
  latency_histogram send_lag;
  std::chrono::nanoseconds max_send_lag{0};  ///< the largest of those (exact)
  std::uint64_t late_sends = 0;              ///< requests handed over more than 1 ms late
  /// The client kept its schedule: every due request was sent and 99% of them within
  /// schedule_tolerance of their due time.
  bool schedule_kept = true;
  /// Small requests due while the long request was outstanding (corrected latencies).
  latency_histogram during_long;
  latency_figures during_long_latency;  ///< its figures, unanswered ones as lower bounds
  std::uint64_t during_long_due = 0;    ///< how many such requests were due
  /// Of those, how many took longer than config.slo (or were still unanswered after it).
  std::uint64_t during_long_over_slo = 0;
};

/// How late the open-loop client may send a request before it says it could not keep its
/// schedule (its own loop fell behind, so its figures are not the server's alone).
inline constexpr std::chrono::milliseconds schedule_tolerance{10};

/// One measured second.
struct second_sample {
  unsigned second = 0;          ///< 1-based: the second that just ended
  std::uint64_t completed = 0;  ///< small requests answered with a number in that second
  std::uint64_t errors = 0;     ///< small requests answered with ERR in that second
  /// Latency percentiles of that second's answers and of its stuck requests (below); zero when
  /// there is neither (has_latency() is false).
  std::chrono::nanoseconds p50{0};
  std::chrono::nanoseconds p99{0};
  std::chrono::nanoseconds max{0};
  bool p50_lower_bound = false;  ///< a stuck request's age may have decided p50: "at least"
  bool p99_lower_bound = false;  ///< the same for p99
  bool max_lower_bound = false;  ///< the same for max
  /// Small requests unanswered at the second's end that had waited longer than every answer of
  /// that second (all of them when none came): they count with their age so far.
  std::uint64_t stuck = 0;
  bool long_active = false;  ///< the long request was outstanding at some point in that second
  std::uint64_t long_completed = 0;  ///< long requests answered in that second
  /// Small-request connections that got any answer in that second (the blocking server's
  /// lesson: one of them, whatever the rate).
  unsigned connections_answered = 0;

  /// False for a second with neither an answer nor a stuck request: it has no percentiles.
  [[nodiscard]] bool has_latency() const noexcept { return completed + stuck > 0; }
};

/// Everything a run measured.
struct load_result {
  load_config config;                         ///< what was run
  std::vector<second_sample> seconds;         ///< one per measured second
  std::vector<latency_histogram> histograms;  ///< small-request latencies, one per second
  latency_histogram total;                    ///< all small-request latencies
  std::uint64_t completed = 0;                ///< small requests answered with a number
  std::uint64_t errors = 0;                   ///< small requests answered with ERR
  std::string first_error_reply;              ///< the first ERR line seen, if any
  std::uint64_t unfinished = 0;  ///< small requests still unanswered when the run ended
  std::chrono::nanoseconds oldest_unfinished{0};  ///< the age of the oldest of those
  /// The age of each of those at the end: a lower bound on its latency.
  std::vector<std::chrono::nanoseconds> unfinished_ages;
  /// Percentiles of every answer and of the requests unanswered at the end that had waited
  /// longer than every answer (counted with their age so far, as lower bounds).
  latency_figures latency;
  std::uint64_t long_completed = 0;                      ///< long requests answered
  std::vector<std::chrono::nanoseconds> long_latencies;  ///< their latencies
  unsigned connections_answered = 0;      ///< small-request connections that got any reply
  std::uint64_t connection_failures = 0;  ///< connections that ended early (reset, closed...)
  std::string first_failure;              ///< what the first of them said
  std::chrono::nanoseconds elapsed{0};    ///< wall time of the measured seconds
  bool interrupted = false;  ///< stopped early (see run_load): fewer seconds than configured
  std::optional<open_loop_result> open_loop;  ///< set for an open-loop run (config.rate > 0)

  /// Mean small requests per second over the measured seconds.
  [[nodiscard]] double mean_rps() const noexcept;
};

/// Called on the loop thread after each measured second.
using second_callback = std::function<void(const second_sample&)>;

/// Runs an open-loop load (config.rate > 0); run_load calls it for such a config.
[[nodiscard]] asio::awaitable<load_result> run_open_loop(load_config config,
                                                         second_callback on_second = {},
                                                         asio::cancellation_slot stop = {});

/// Connects every connection (throws std::runtime_error saying which address failed and why),
/// runs the load for warmup + duration, then closes every socket and returns what was measured.
/// Runs on the executor it is awaited on; all its connections share that one thread.
/// A cancellation emitted on stop (any type) ends the run early: it returns what was measured
/// so far, with interrupted set; the part of the last second counts in the totals.
[[nodiscard]] asio::awaitable<load_result> run_load(load_config config,
                                                    second_callback on_second = {},
                                                    asio::cancellation_slot stop = {});

}  // namespace primeloop::clients
