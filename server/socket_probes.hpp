#pragma once
/// Questions about a connected TCP socket that Asio does not ask: has the peer ended its side,
/// how much of what we wrote has it acknowledged; and a last word written without waiting.
/// Each is one system call, made only when a timer or a rare state asks for it.
#include <cstdint>
#include <optional>
#include <string_view>

#include <asio/ip/tcp.hpp>

namespace primeloop {

/// True when the peer shut down its sending side or reset the connection, even while unread
/// requests are still buffered in the kernel (POLLRDHUP sees past them; a read would not).
[[nodiscard]] bool peer_closed(int fd) noexcept;

/// Bytes written to the socket that still wait in its send queue, not yet acknowledged by the
/// peer (SIOCOUTQ); nullopt when the kernel cannot tell.
[[nodiscard]] std::optional<std::uint64_t> unacknowledged_bytes(int fd) noexcept;

/// Writes text now if the socket takes it, without waiting and without reporting failure: the
/// last word before closing, which a client that does not read never gets.
void write_now(asio::ip::tcp::socket& socket, std::string_view text) noexcept;

}  // namespace primeloop
