#pragma once
/// Connecting a TCP socket with an error a person can read.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

namespace primeloop::clients {

/// Resolves host and connects socket to host:port with TCP_NODELAY set. Throws
/// std::runtime_error("cannot connect to HOST:PORT: <reason>") on failure.
asio::awaitable<void> connect_to(asio::ip::tcp::socket& socket, const std::string& host,
                                 std::uint16_t port);

}  // namespace primeloop::clients
