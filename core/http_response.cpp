#include "core/http_response.hpp"

#include <fmt/format.h>

#include "core/http_request.hpp"

namespace primeloop::http {

void append_response(std::string& out, const response& r, std::string_view body) {
  const std::string_view connection = !r.keep_alive          ? "Connection: close\r\n"
                                      : r.minor_version == 0 ? "Connection: keep-alive\r\n"
                                                             : "";
  fmt::format_to(std::back_inserter(out),
                 "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}{}\r\n", r.status,
                 reason_phrase(r.status), r.content_type, body.size(), connection, r.extra_headers);
  out.append(body);
}

}  // namespace primeloop::http
