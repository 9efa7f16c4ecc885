#pragma once
/// One listening port: its acceptor, the pause after a failed accept, the refusal past
/// --max-connections, and the connections the kernel queued when the port closes. The line
/// port and the HTTP port are two listeners; they differ only in the codec each connection gets
/// and in the words of the refusal.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "core/codec.hpp"
#include "server/connection.hpp"

namespace primeloop {

/// Connections a listener with a probe codec serves past --max-connections, for health checks
/// (listener_config::make_probe_codec); past those it refuses as the line port does.
inline constexpr std::size_t probe_reserve = 16;

/// What makes one listener's port what it is.
struct listener_config {
  std::string_view name;  ///< for logs: "line" or "http"
  /// What a bind error calls the port, and the flag that chooses it ("the HTTP port",
  /// "--http-port"): the error says that flag at 0 picks a free one.
  std::string_view what;
  std::string_view port_flag;
  std::uint16_t port = 0;
  /// Written to a connection past --max-connections, which is then closed.
  std::string refusal;
  /// The protocol of each connection.
  std::function<std::unique_ptr<protocol::codec>()> make_codec;
  /// The protocol past --max-connections, for up to probe_reserve connections more (the HTTP
  /// face: a liveness probe still says the process works); null: refused at once.
  std::function<std::unique_ptr<protocol::codec>()> make_probe_codec;
  /// Counted up while each connection of this port is open; null: none.
  std::atomic<std::uint64_t>* open = nullptr;
};

/// Loop thread only.
class listener {
 public:
  /// Binds and listens on --bind and config.port. Throws std::runtime_error with a readable
  /// message when it cannot.
  listener(net::io_context& io, connection_context& ctx, listener_config config);
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  [[nodiscard]] tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  /// Accepts, one connection after another.
  void start();
  /// Stops accepting. The connections the kernel has already completed and queued would be
  /// reset by the close, so they are accepted first and served like any other (they are drained
  /// with the rest: what they have already sent is answered).
  void close();

 private:
  /// Serves one accepted connection; past --max-connections, as a probe or not at all.
  void serve(tcp::socket socket);
  /// Tells a connection past --max-connections why, without keeping any state for it.
  void refuse(tcp::socket socket);

  net::io_context& io_;
  connection_context& ctx_;
  listener_config config_;
  tcp::acceptor acceptor_;
  net::steady_timer pause_;
  bool warned_ = false;
};

/// Logs an error that ended a coroutine; operation_aborted and end of stream never get here.
void log_exception(std::string_view where, std::exception_ptr e) noexcept;

}  // namespace primeloop
