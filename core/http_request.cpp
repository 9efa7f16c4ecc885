#include "core/http_request.hpp"

#include <algorithm>
#include <cstring>

namespace primeloop::http {
namespace {

/// RFC 9110's tchar: the characters of a token (methods, header names).
constexpr bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

constexpr bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

/// A header value's characters: visible ASCII, obs-text, space and tab; no other control.
constexpr bool is_value_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

constexpr char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Cuts the next line off text, without its '\n' and one '\r' before it.
std::string_view next_line(std::string_view& text) noexcept {
  const auto nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool fail(parse_error& error, int status, std::string_view reason) noexcept {
  error = {status, reason};
  return false;
}

/// The Connection header's tokens: close and keep-alive matter, others are ignored.
void read_connection(std::string_view value, bool& close, bool& keep_alive) noexcept {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto token = trim(value.substr(0, comma));
    if (iequals(token, "close")) close = true;
    if (iequals(token, "keep-alive")) keep_alive = true;
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
}

/// The request target in origin-form ("/prime/10"), as RFC 9112 3.2 allows it to come: as is,
/// in absolute-form ("http://host/prime/10", what a client sends to a proxy: a server MUST
/// accept it, 3.2.2), or "*" for OPTIONS (3.2.4), kept as is. False: no form fits.
bool origin_of(std::string_view method, std::string_view& target) noexcept {
  if (target.front() == '/') return true;
  if (target == "*") return method == "OPTIONS";
  std::size_t scheme = 0;
  if (target.size() > 7 && iequals(target.substr(0, 7), "http://")) scheme = 7;
  if (target.size() > 8 && iequals(target.substr(0, 8), "https://")) scheme = 8;
  if (scheme == 0) return false;
  const auto path = target.find_first_of("/?", scheme);
  if (path == scheme) return false;  // no authority
  // "http://host" and "http://host?q" name the root; the query is not used by any resource.
  target = path == std::string_view::npos || target[path] == '?' ? std::string_view("/")
                                                                 : target.substr(path);
  return true;
}

}  // namespace

bool parse_head(std::string_view head, request& out, parse_error& error) noexcept {
  if (head.find('\0') != std::string_view::npos) return fail(error, 400, "bad request");
  // Request line: method SP target SP version, single spaces, nothing else.
  const std::string_view line = next_line(head);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return fail(error, 400, "bad request line");
  }
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(out.method)) return fail(error, 400, "bad request line: bad method");
  if (out.target.empty() || !std::all_of(out.target.begin(), out.target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f;
      })) {
    return fail(error, 400, "bad request line: bad target");
  }
  if (!origin_of(out.method, out.target)) return fail(error, 400, "bad request line: bad target");
  const bool digits = version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
                      version[5] <= '9' && version[6] == '.' && version[7] >= '0' &&
                      version[7] <= '9';
  if (!digits) return fail(error, 400, "bad request line: bad version");
  if (version[5] != '1' || version[7] > '1') {
    return fail(error, 505, "HTTP version not supported: use HTTP/1.1 or HTTP/1.0");
  }
  out.minor_version = version[7] - '0';

  bool close = false, keep_alive = false, chunked = false, has_length = false;
  std::string_view length;
  int hosts = 0;
  while (!head.empty()) {
    const std::string_view h = next_line(head);
    if (h.empty()) return fail(error, 400, "bad header");  // only the head's end is empty
    if (h.front() == ' ' || h.front() == '\t') return fail(error, 400, "bad header: folded line");
    const auto colon = h.find(':');
    if (colon == std::string_view::npos) return fail(error, 400, "bad header: no colon");
    const std::string_view name = h.substr(0, colon);
    const std::string_view value = trim(h.substr(colon + 1));
    if (!is_token(name)) return fail(error, 400, "bad header name");
    if (!std::all_of(value.begin(), value.end(), is_value_char)) {
      return fail(error, 400, "bad header value");
    }
    if (iequals(name, "connection")) {
      read_connection(value, close, keep_alive);
    } else if (iequals(name, "content-length")) {
      if (value.empty() ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return fail(error, 400, "bad header: Content-Length");
      }
      if (has_length && value != length) return fail(error, 400, "bad header: Content-Length");
      has_length = true;
      length = value;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = true;
    } else if (iequals(name, "host")) {
      ++hosts;
    }
  }
  // A message framed both ways is the shape of request smuggling: refused outright.
  if (chunked && has_length)
    return fail(error, 400, "bad request: Content-Length and Transfer-Encoding");
  if (out.minor_version == 1 && hosts != 1)
    return fail(error, 400, "bad request: one Host header is required");
  if (chunked || (has_length && length.find_first_not_of('0') != std::string_view::npos)) {
    return fail(error, 413, "request bodies are not accepted");
  }
  out.keep_alive = out.minor_version == 1 ? !close : keep_alive && !close;
  return true;
}

request_reader::request_reader(std::size_t max_head)
    : max_head_(std::max<std::size_t>(max_head, 64)) {}

std::span<char> request_reader::prepare() noexcept {
  if (failed_) return {};
  if (!buf_) buf_ = std::make_unique<char[]>(max_head_);
  if (begin_ > 0) {
    // Move a partial (or pipelined) request to the front: the buffer never grows.
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return {buf_.get() + end_, max_head_ - end_};
}

void request_reader::commit(std::size_t n) noexcept {
  end_ += std::min(n, max_head_ - end_);
}

request_reader::event request_reader::next() noexcept {
  event ev;
  if (failed_) {
    ev.what = status::error;
    ev.error = {400, "bad request"};
    return ev;
  }
  const char* b = buf_.get();
  // Empty lines before a request line are ignored (RFC 9112, section 2.2).
  while (begin_ < end_ &&
         (b[begin_] == '\n' || (b[begin_] == '\r' && begin_ + 1 < end_ && b[begin_ + 1] == '\n'))) {
    begin_ += b[begin_] == '\n' ? 1 : 2;
    scanned_ = 0;
  }
  // The head ends at an empty line: "\n\n" or "\n\r\n".
  for (std::size_t i = begin_ + scanned_; i < end_; ++i) {
    if (b[i] != '\n') continue;
    std::size_t line_start = i;  // where the line ending at i begins, if it is empty
    if (line_start > begin_ && b[line_start - 1] == '\r') --line_start;
    if (line_start == begin_ || b[line_start - 1] != '\n') continue;
    const std::string_view head(b + begin_, line_start - begin_);
    begin_ = i + 1;
    scanned_ = 0;
    if (!parse_head(head, ev.req, ev.error)) {
      failed_ = true;
      ev.what = status::error;
      return ev;
    }
    ev.what = status::request;
    return ev;
  }
  scanned_ = end_ - begin_;
  if (begin_ == 0 && end_ == max_head_) {
    failed_ = true;
    ev.what = status::error;
    ev.error = {431, "request header fields too large"};
  }
  return ev;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace primeloop::http
