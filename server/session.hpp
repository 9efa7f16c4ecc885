#pragma once
/// One connection of the line protocol (docs/architecture.md, "The session"): three coroutines
/// joined the way Asio's chat_server.cpp and timeout_watchdog.cpp join theirs,
///
///     co_await ((reader() && writer()) || watch());
///
/// The reader frames requests and hands them to the dispatcher in order; the writer sends every
/// reply ready at the head of the queue in one write; the watchdog closes a connection that is
/// idle or too slow to finish a line. Everything runs on the loop thread; results come back
/// through on_result, also on the loop thread (possibly inside submit).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "core/protocol.hpp"
#include "executors/executor_policy.hpp"
#include "executors/gil.hpp"
#include "server/connection_manager.hpp"
#include "server/dispatcher.hpp"
#include "server/options.hpp"
#include "server/reply_queue.hpp"
#include "server/stats.hpp"
#include "server/wake_signal.hpp"
#include "server/watchdog.hpp"

namespace primeloop {

namespace net = asio;
using tcp = net::ip::tcp;

/// What every session of one server shares. Owned by the server; outlives every session.
struct session_context {
  dispatcher& work;
  const server_options& options;
  const protocol::error_lines& errors;
  stats_counters& stats;
  connection_manager& connections;
  executors::gil* gil = nullptr;  ///< the interpreter-lock model (--gil); null: off
};

class session final : public executors::result_sink,
                      public connection,
                      public std::enable_shared_from_this<session> {
 public:
  using clock = std::chrono::steady_clock;

  /// After end of stream, how long work in flight may still finish before it is cancelled.
  /// Also how long a connection held back by --max-pipeline waits for a reply to go out before
  /// it looks for its client's end of stream, and how long a read may wait for a computation.
  static constexpr std::chrono::milliseconds eof_linger{100};

  session(tcp::socket socket, session_context& ctx);
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// The connection's whole life: read and dispatch until end of stream, an error, a fatal
  /// protocol error or shutdown; deliver what is owed; close.
  net::awaitable<void> run();

  /// Shutdown: reads only the bytes the kernel had already received, answers every complete
  /// request among them and those in flight, then ends.
  void drain() override;
  /// Closes now: what is owed is dropped and its computations are cancelled.
  void close() override;

  void on_result(std::uint64_t tag, executors::outcome result) override;

 private:
  net::awaitable<void> reader();
  net::awaitable<void> read_requests();
  net::awaitable<void> writer();
  net::awaitable<void> watch();
  net::awaitable<void> end_of_stream(std::error_code ec);
  net::awaitable<bool> wait_for_room();
  /// Waits until done() holds, `until` passes or the connection closes; woken by results and
  /// by finished writes.
  template <class Done>
  net::awaitable<void> wait_until(Done done, clock::time_point until);

  bool handle_read();
  bool dispatch_buffered();
  void dispatch_bare();
  void dispatch(std::string_view line);
  void reply_error(std::uint64_t tag, errc e);
  /// Starts or stops the line deadline after the framer consumed what it could.
  void track_partial_line(std::uint64_t lines_before);
  [[nodiscard]] bool owes_nothing() const { return replies_.empty() && !writing_; }

  tcp::socket socket_;
  session_context& ctx_;
  protocol::line_framer framer_;
  reply_queue replies_;
  std::string out_;  // the write in progress; reused
  connection_activity activity_;
  watchdog watchdog_;
  wake_signal writer_wake_;       // a reply became ready, or the reader ended
  wake_signal reader_wake_;       // a write finished, or the last computation did
  std::uint64_t lines_ = 0;       // requests framed so far
  bool stop_reading_ = false;     // a fatal protocol error
  bool draining_ = false;         // shutdown: read no further than drain_budget_
  std::size_t drain_budget_ = 0;  // bytes received before drain() and not read yet
  bool reading_done_ = false;     // the reader has ended: the writer ends once nothing is owed
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace primeloop
