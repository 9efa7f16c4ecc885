#pragma once
/// The lesson's long client of the load generator (closed and open loop): after a delay, one
/// more connection asks for the long n again and again, and says when its request is outstanding.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace primeloop::clients {

/// What the long client shares with the run that owns it (all on the loop thread).
struct long_client_state {
  bool outstanding = false;       ///< a long request is sent and not yet answered
  bool active_in_second = false;  ///< one was outstanding at some point since the run reset it
  std::uint64_t completed = 0;    ///< answered while the run measured
  bool ended = false;             ///< the run closed the connection on purpose (long_until_s)
  std::vector<std::chrono::nanoseconds> latencies;  ///< their latencies
};

/// What the long client needs from its run: where, what, when, and the run's flags.
struct long_client_context {
  std::string host;
  std::uint16_t port = 0;
  std::uint64_t n = 0;
  std::chrono::steady_clock::time_point start_at;
  const bool* stopping = nullptr;                 ///< the run is ending: I/O errors are expected
  const bool* measuring = nullptr;                ///< answers now count
  std::function<void(std::string)> note_failure;  ///< reports a failure in the run's result
};

/// Waits on timer until start_at, connects socket, then asks for n until the run stops (the
/// run cancels timer and closes socket). Never throws for I/O: failures go to note_failure.
[[nodiscard]] asio::awaitable<void> run_long_client(asio::ip::tcp::socket& socket,
                                                    asio::steady_timer& timer,
                                                    long_client_context context,
                                                    long_client_state& state);

}  // namespace primeloop::clients
