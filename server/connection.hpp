#pragma once
/// One client connection, whatever protocol it speaks (docs/architecture.md, "The connection
/// and its codec"): the socket, back-pressure, the deadlines, draining, end of stream and
/// closing, over a protocol codec (core/codec.hpp) that frames requests and formats replies.
/// Until its client's first byte it is run() alone, waiting (no buffer, no timer armed: the
/// manager sweeps such connections at --idle-timeout); then three coroutines, joined the way
/// Asio's chat_server.cpp and timeout_watchdog.cpp join theirs:
///
///     co_await ((reader() && writer()) || watch());
///
/// Loop thread only; results come back through on_result, also on the loop thread (possibly
/// inside submit).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "core/codec.hpp"
#include "executors/executor_policy.hpp"
#include "executors/gil.hpp"
#include "server/dispatcher.hpp"
#include "server/options.hpp"
#include "server/stats.hpp"
#include "server/wake_signal.hpp"

namespace primeloop {

namespace net = asio;
using tcp = net::ip::tcp;

/// Completion token of every operation here: the error comes back as a value, not an exception.
inline constexpr auto use_tuple = net::experimental::as_tuple(net::use_awaitable);

class connection_manager;

/// What every connection of one server shares. Owned by the server; outlives every connection.
struct connection_context {
  dispatcher& work;
  const server_options& options;
  stats_counters& stats;
  connection_manager& connections;
  executors::gil* gil = nullptr;  ///< the interpreter-lock model (--gil); null: off
};

/// Owned by whoever runs it: the completion handler of the co_spawn that runs run() keeps it.
class connection final : public executors::result_sink {
 public:
  using clock = std::chrono::steady_clock;

  /// After end of stream, how long work in flight may still finish before it is cancelled.
  /// Also how long a connection held back by --max-pipeline waits for a reply to go out before
  /// it looks for its client's end of stream, and how long a read may wait for a computation.
  static constexpr std::chrono::milliseconds eof_linger{100};
  /// While draining, how long a connection that owes nothing waits for one more request after
  /// its last exchange (one that never spoke: after it joined or the drain began). A client
  /// between two requests sends the next far sooner; one that is idle must not hold the server
  /// until the end of --grace.
  static constexpr std::chrono::milliseconds drain_wait{1000};

  connection(tcp::socket socket, connection_context& ctx, std::unique_ptr<protocol::codec> codec);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// The connection's whole life: requests until end of stream, an error, a fatal protocol
  /// error or shutdown; the replies owed; close.
  net::awaitable<void> run();
  /// Shutdown: the connection ends at its next request boundary (docs/protocol.md, "Shutdown").
  /// It reads what the kernel had already received, and the rest of a request begun in it; if
  /// that leaves no reply owed, one more request. It answers them all, and its last reply
  /// carries the end of stream, in the same TCP segment: a client that reads a reply and finds
  /// the stream ended knows the server reads nothing more.
  void drain();
  /// The drain's grace has passed: read nothing more (a connection still waiting for its one
  /// more request ends; one that never spoke closes).
  void stop_reading();
  /// Closes now: what is computing is cancelled, the socket closes, the manager forgets it.
  void close();
  /// A limit passed (errc::idle_timeout, errc::line_timeout): the client is told so in its
  /// protocol, if it can take it without waiting, and the connection closes.
  void expire(errc why);

  void on_result(std::uint64_t tag, executors::outcome result) override;

 private:
  /// What moved on the connection: kept by the reader and the writer, read by the watchdog,
  /// which looks only when its timer fires, so the hot path pays nothing.
  struct activity {
    clock::time_point last_received{};  // when the last bytes were read
    clock::time_point last_written{};   // when the last write of replies ended
    /// When the first byte of a request not complete yet arrived; max(): none is waiting for
    /// the client (nothing started, or the server is not reading).
    clock::time_point request_started = clock::time_point::max();
    std::uint64_t bytes_written = 0;  // replies the kernel took, in total
    std::size_t computing = 0;        // requests with the executor, no result yet
  };
  struct read_result {
    std::size_t n = 0;
    bool filled = false;  // it filled all the room it had: more may be waiting in the kernel
    bool ended = false;   // the reader ends here
  };

  net::awaitable<void> reader();
  net::awaitable<read_result> read_more();
  net::awaitable<void> client_left();
  net::awaitable<bool> wait_for_room();
  net::awaitable<void> writer();
  /// The watchdog, as Asio's timeout_watchdog.cpp watches an echo loop: closes the connection
  /// when nothing was received, delivered or computed for --idle-timeout, or a started request
  /// was not complete within --line-timeout.
  net::awaitable<void> watch();
  /// Bytes of replies the client's side has acknowledged: written, minus what still waits in
  /// our send queue (SIOCOUTQ). A client that does not read stops this from growing.
  [[nodiscard]] std::uint64_t delivered() noexcept;
  net::awaitable<void> linger();
  /// Waits until done() holds, `until` passes or the connection closes; woken by results and
  /// by finished writes.
  template <class Done>
  net::awaitable<void> wait_until(Done done, clock::time_point until) {
    while (!closed_ && !done() && clock::now() < until) co_await reader_wake_.wait(until);
  }

  /// The drain has read what the kernel held when it began: read on for one more request, or
  /// stop here.
  void end_of_drain_budget();
  void take_events();
  void after_read();
  void handle(const protocol::event& ev);
  bool submit(std::uint64_t n, std::uint64_t tag);
  void track_partial_request(std::uint64_t framed_before);
  [[nodiscard]] bool full() const noexcept;
  [[nodiscard]] bool owes_nothing() const noexcept;

  tcp::socket socket_;
  connection_context& ctx_;
  std::unique_ptr<protocol::codec> codec_;
  activity activity_;
  net::steady_timer watch_timer_;
  clock::time_point watch_armed_for_ = clock::time_point::max();
  wake_signal writer_wake_;       // a reply became ready, or the reader ended
  wake_signal reader_wake_;       // a write finished, or the last computation did
  std::string out_;               // the write in progress; reused
  std::size_t held_bytes_ = 0;    // finished replies not written yet (in the store or out_)
  std::size_t drain_budget_ = 0;  // bytes received before the drain and not read yet
  bool draining_ = false;         // shutdown: read no further than drain_budget_ ...
  bool one_more_ = false;         // ... then, with no reply owed, until one more request
  bool one_more_taken_ = false;   // ... which came: the read that brought it is the last
  bool reads_over_ = false;       // the last request is taken: read and take nothing more
  bool read_pending_ = false;     // a read waits for bytes now
  bool started_ = false;          // the client has sent its first byte
  bool reading_done_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace primeloop
