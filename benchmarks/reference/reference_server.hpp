#pragma once
/// What both reference servers own: blocked termination signals and their watcher, the
/// listening socket, the counters and the stats line, the shared interpreter-lock model. The
/// two servers differ only in how they accept (blocking_server.hpp, threaded_server.hpp).
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "benchmarks/reference/connection.hpp"
#include "server/signal_watcher.hpp"

namespace primeloop::reference {

/// Binds in the constructor (throws std::runtime_error with a readable message); run() prints
/// the first line, starts the stats line and the signal watcher, and calls the accept loop.
class reference_server {
 public:
  /// `executor` names the stage on the first line ("blocking", "thread-per-conn"); `details`
  /// follows it ("workers=1").
  reference_server(reference_options options, std::string executor, std::string details);
  reference_server(const reference_server&) = delete;
  reference_server& operator=(const reference_server&) = delete;

  /// Runs accept_loop until it returns (it must return once ctx.wake fires); returns 0.
  int run(const std::function<void(const listener&, connection_context&)>& accept_loop);

 private:
  // First: every thread started later inherits the blocked signals.
  termination_signals_blocked signals_blocked_;
  reference_options options_;
  std::string executor_, details_;
  protocol::error_lines errors_;
  stats_counters counters_;
  executors::shutdown_flag shutdown_;
  wake_event wake_;
  std::unique_ptr<executors::gil> gil_;
  listener listener_;
};

}  // namespace primeloop::reference
