#pragma once
/// The first line every server of the project prints, "listening on HOST:PORT ...", read back:
/// how tests, the lab and the bench learn the port a server bound with --port 0.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace primeloop::harness {

/// What a "listening on" line says.
struct listen_address {
  std::string host;        ///< "127.0.0.1", "::1" (without the brackets)
  std::uint16_t port = 0;  ///< never 0 in a parsed line
};

/// Parses "listening on HOST:PORT" followed by the end of the line or a space. HOST may be an
/// IPv6 address in brackets ("[::1]:8080") or bare ("::1:8080": the port follows the last
/// colon). nullopt for any other line, a missing or empty host, or a port not in 1..65535.
[[nodiscard]] std::optional<listen_address> parse_listening_line(std::string_view line);

/// The value of a "name=value" word of a listening line ("max-n" in "... max-n=100000000"),
/// or nullopt when the line has no such word.
[[nodiscard]] std::optional<std::string_view> listening_field(std::string_view line,
                                                              std::string_view name);
/// The max-n a listening line announces: the largest n the server accepts; nullopt without one.
[[nodiscard]] std::optional<std::uint64_t> listening_max_n(std::string_view line);

}  // namespace primeloop::harness
