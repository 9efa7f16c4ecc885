#pragma once
/// The baseline server: the least any server must do per request (read, one fixed reply per
/// newline-terminated line, write), on one thread. No parsing, no computing. The throughput
/// benchmark reports every executor as a ratio of this one, measured in the same run.
#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

namespace primeloop::baseline {

/// Accepts connections and answers every '\n' with "2\n". Lives on the caller's executor.
class baseline_server {
 public:
  /// Binds and listens; throws std::runtime_error("cannot listen on ADDR:PORT: reason").
  baseline_server(const asio::any_io_executor& ex, const std::string& bind, std::uint16_t port);
  baseline_server(const baseline_server&) = delete;
  baseline_server& operator=(const baseline_server&) = delete;

  /// The port actually bound (useful with port 0).
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  /// Starts accepting; sessions run until their client closes or stop() is called.
  void start();
  /// Closes the acceptor; the loop returns once the sessions in progress end.
  void stop();

 private:
  asio::ip::tcp::acceptor acceptor_;
  std::string replies_;  // many copies of "2\n": k replies are its first 2k bytes
};

}  // namespace primeloop::baseline
