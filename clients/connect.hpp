#pragma once
/// Connecting a TCP socket with an error a person can read.
#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdint>
#include <string>

namespace primeloop::clients {

/// The completion token of the clients' coroutines: an I/O error comes back as a value beside
/// the result (a load counts it; it is no exception).
inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

/// Resolves host and connects socket to host:port with TCP_NODELAY set. Throws
/// std::runtime_error("cannot connect to HOST:PORT: <reason>") on failure.
asio::awaitable<void> connect_to(asio::ip::tcp::socket& socket, const std::string& host,
                                 std::uint16_t port);

}  // namespace primeloop::clients
