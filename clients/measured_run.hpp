#pragma once
/// What the closed-loop and the open-loop load runs share: the stop signal, the coroutines they
/// spawn, the measured seconds (one sample each), the long client and the totals at the end.
/// Each loop derives from it and adds only how it sends and what it counts as waiting.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "clients/connect.hpp"
#include "clients/load_generator.hpp"
#include "clients/long_client.hpp"
#include "clients/task_group.hpp"

namespace primeloop::clients {

/// The state both loads keep for one run. Lives in the run's frame, which outlives every
/// coroutine it spawns; not copyable (the stop handler and the coroutines point at it).
class measured_run {
 public:
  using clock = std::chrono::steady_clock;

  measured_run(const measured_run&) = delete;
  measured_run& operator=(const measured_run&) = delete;

 protected:
  /// Takes the config into the result and makes a cancellation on stop end the run early.
  measured_run(asio::any_io_executor ex, load_config config, second_callback on_second,
               asio::cancellation_slot stop);
  ~measured_run();

  /// Opens config_.connections connections (Connection built from the executor and args),
  /// each with connect_to: the first that cannot connect throws.
  template <class Connection, class... Args>
  asio::awaitable<void> connect_all(std::deque<Connection>& connections, const Args&... args) {
    for (unsigned i = 0; i < config_.connections; ++i) {
      auto& c = connections.emplace_back(ex_, args...);
      co_await connect_to(c.socket, config_.host, config_.port);
    }
  }

  /// The measured seconds from start: starts the long client when configured, takes a sample
  /// (take_sample) at each second's end until the duration is over or the run is interrupted.
  asio::awaitable<void> measure_seconds(clock::time_point start);

  /// One second's sample from the counts since the last one and the ages of the requests still
  /// waiting (sorted or not); records it and hands it to the callback.
  void record_second(unsigned s, const std::vector<std::chrono::nanoseconds>& waiting);

  /// Closes the long connection on purpose (config_.long_until_s): nothing of it is a failure.
  void end_long();

  /// Counts the connection whose answer this is in the second's connections_answered, once a
  /// second: `mark` is the connection's own record of the last second it was counted in.
  void count_connection_answered(unsigned& mark) {
    if (!measuring_ || mark == slot_ + 1) return;
    mark = static_cast<unsigned>(slot_ + 1);
    ++connections_answered_;
  }

  /// Counts an answer that is an ERR line (keeping the first); false for any other answer.
  bool count_error_reply(std::string_view line);

  /// Ends the long client and fills the result's totals; result_.unfinished_ages must hold the
  /// ages of the requests unanswered at the end.
  void finish_totals();

  /// Starts a coroutine the run joins. They report I/O problems in the result; anything thrown
  /// is a bug and is rethrown by the run.
  void spawn(asio::awaitable<void> a) { tasks_.spawn(std::move(a)); }

  /// Records a connection that ended early; the first one's words go in the result.
  void note_failure(std::string what);

  /// The run's own sample of second s (the loop knows what waits): calls record_second.
  virtual void take_sample(unsigned s) = 0;

  asio::any_io_executor ex_;
  load_config config_;
  second_callback on_second_;
  asio::cancellation_slot stop_;
  bool interrupted_ = false;
  task_group tasks_;
  asio::steady_timer tick_;
  asio::steady_timer long_timer_;
  asio::ip::tcp::socket long_socket_;
  bool measuring_ = false;
  bool stopping_ = false;
  std::size_t slot_ = 0;  // the histogram of the second being measured
  std::uint64_t completed_ = 0;
  std::uint64_t errors_ = 0;
  unsigned connections_answered_ = 0;  // in the second being measured
  long_client_state long_;
  load_result result_;

 private:
  struct counts {
    std::uint64_t completed = 0, errors = 0, long_completed = 0;
  };
  counts second_start_;
};

}  // namespace primeloop::clients
