#pragma once
/// Questions about a connected TCP socket that Asio does not ask: has the peer ended its side,
/// how much of what we wrote has it acknowledged; a last word written without waiting; and a
/// last reply held back until the end of stream can go with it.
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

/// Holds back partial segments (TCP_CORK) until the sending side shuts down: the last reply
/// and the FIN then leave in one segment, so the peer reads the reply and finds the stream
/// ended at the same moment. Failure only means the FIN may come in a segment of its own.
void hold_partial_segments(int fd) noexcept;

}  // namespace primeloop
