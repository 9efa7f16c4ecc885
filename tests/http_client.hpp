#pragma once
/// A small blocking HTTP/1.1 client for the end-to-end tests of the HTTP face, over
/// test_support's line_client: every read has a deadline. Bodies are read line by line, which
/// fits every response primeloop-server sends (each body is whole lines).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace primeloop::test {

/// One response: status, headers (names in lower case), body.
struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  [[nodiscard]] std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

/// One connection to the HTTP port on 127.0.0.1.
class http_client {
 public:
  explicit http_client(std::uint16_t port) : conn_(port) {}

  /// Sends raw bytes (several requests, a bad one, half of one).
  void send(std::string_view bytes) const { conn_.send(bytes); }
  /// Sends "GET target HTTP/1.1" with a Host header and the extra header lines given.
  void send_get(std::string_view target, std::string_view extra_headers = {}) const;
  /// The next response, or nullopt on close or at the deadline. to_head: the response to a
  /// HEAD, which ends at its headers whatever its Content-Length says (RFC 9110 9.3.2).
  [[nodiscard]] std::optional<http_response> read_response(milliseconds deadline = default_deadline,
                                                           bool to_head = false);
  /// send_get, then read_response.
  [[nodiscard]] std::optional<http_response> get(std::string_view target,
                                                 milliseconds deadline = default_deadline) {
    send_get(target);
    return read_response(deadline);
  }
  /// True when the server has ended the stream and nothing unread is left, without waiting.
  [[nodiscard]] bool ended_now() const { return conn_.ended_now(); }
  /// True when the server closed the connection before the deadline.
  [[nodiscard]] bool wait_closed(milliseconds deadline = default_deadline) {
    return conn_.wait_closed(deadline);
  }

 private:
  line_client conn_;
};

/// One GET on a connection of its own.
[[nodiscard]] std::optional<http_response> http_get(std::uint16_t port, std::string_view target,
                                                    milliseconds deadline = default_deadline);

/// Reads the "http listening on HOST:PORT" line that follows the first line of a server
/// started with --http-port, and returns the port (0 when it does not come).
[[nodiscard]] std::uint16_t read_http_port(server_process& s);

/// A server with the HTTP face on; its HTTP port.
struct http_server {
  server_process s;
  std::uint16_t http_port = 0;
};
/// start_server with --http-port 0, and its HTTP port read; throws when none comes.
[[nodiscard]] http_server start_http(std::vector<std::string> flags);

}  // namespace primeloop::test
