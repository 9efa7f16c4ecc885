#pragma once
/// The server: owns the io_context, the signals, the executor policy (bound once, in
/// server/bound_policy.hpp), the listeners and every connection. server/main.cpp picks the
/// policy; everything here is ordinary compiled code.
#include <memory>
#include <optional>
#include <string>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "core/lag_histogram.hpp"
#include "core/live_json.hpp"
#include "core/protocol.hpp"
#include "executors/executor_policy.hpp"
#include "executors/gil.hpp"
#include "server/bound_policy.hpp"
#include "server/connection.hpp"
#include "server/connection_manager.hpp"
#include "server/listener.hpp"
#include "server/long_requests.hpp"
#include "server/loop_lag.hpp"
#include "server/metrics.hpp"
#include "server/options.hpp"
#include "server/signal_watcher.hpp"
#include "server/stats.hpp"

namespace primeloop {

/// One listening server running one executor policy on a single-threaded loop.
class server {
 public:
  /// Builds the pool first (the process pool forks here, before any thread or socket exists),
  /// then binds. Throws std::runtime_error with a readable message when it cannot listen.
  server(server_options options, policy_factory make_policy);
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Serves until SIGINT/SIGTERM, then shuts down within --grace; returns the exit status.
  int run();

 private:
  /// Runs on the signal watcher's thread, not the loop's: the loop may be frozen by an inline
  /// computation or waiting a whole switch interval for the --gil lock.
  void on_signal(int sig, int count);
  /// The first signal: /readyz says 503 at once; the listeners close after --drain-delay.
  void begin_shutdown();
  /// Closes the listeners and drains every connection; work in flight has --grace to finish.
  void close_listeners();
  /// Every connection has closed; the loop ends once no accept handler is left to run either.
  void on_all_closed();
  /// Copies the pool's counters where the stats thread can read them, every 100 ms, and closes
  /// the live page's second once a second has passed.
  void publish_stats();
  /// /live.json's figures, on the loop thread.
  [[nodiscard]] live_figures live_now() const;

  /// The last whole second the live page shows: answers per second and their latency.
  struct live_second {
    std::chrono::steady_clock::time_point start;
    std::uint64_t answered = 0;  // the count when it began
    std::uint64_t rps = 0;
    lag_window latency;
  };

  // Before anything that may start a thread: every thread inherits the blocked signals, and only
  // the signal watcher takes them.
  termination_signals_blocked signals_blocked_;
  executors::shutdown_flag shutdown_;
  std::unique_ptr<executors::gil> gil_;  // before the policy: outlives the pool's threads
  server_options options_;
  asio::io_context io_{1};
  // After the loop, so destroyed before it; started by run(), stopped when shutdown begins.
  loop_lag lag_{io_.get_executor()};
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  live_second second_{started_, 0, 0, {}};
  protocol::error_lines errors_;
  stats_counters counters_;
  std::unique_ptr<executor_binding> policy_;
  long_requests long_;  // in front of the policy: /live.json's long_request
  asio::steady_timer grace_timer_;
  asio::steady_timer publish_timer_;
  connection_manager connections_;
  connection_context ctx_;
  std::chrono::steady_clock::time_point listeners_close_at_{};  // the signal + --drain-delay
  std::chrono::steady_clock::time_point grace_ends_at_{};       // ... + --grace
  bool shutting_down_ = false;
  bool listeners_closed_ = false;
  metrics_info info_;
  status_pages pages_;
  listener line_;
  std::optional<listener> http_;          // with --http-port
  std::optional<stats_printer> printer_;  // from run() until shutdown begins
};

}  // namespace primeloop
