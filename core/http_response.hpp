#pragma once
/// Formats the server's HTTP/1.1 responses. Pure, like core/http_request.hpp.
#include <string>
#include <string_view>

namespace primeloop::http {

/// The head of one response; the body's length is added by append_response.
struct response {
  int status = 200;
  std::string_view content_type = "text/plain; charset=utf-8";
  /// Whole header lines to add, each ending in "\r\n" (e.g. "Retry-After: 1\r\n").
  std::string_view extra_headers;
  bool keep_alive = true;  ///< false: "Connection: close"
  int minor_version = 1;   ///< the request's; an HTTP/1.0 client kept alive is told so
};

/// Appends the status line, headers and body of r to out.
void append_response(std::string& out, const response& r, std::string_view body);

}  // namespace primeloop::http
