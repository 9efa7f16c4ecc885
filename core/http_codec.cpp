#include "core/http_codec.hpp"

#include <fmt/format.h>

namespace primeloop::http {
namespace {

using protocol::event;

constexpr std::string_view not_found_text =
    "not found: the paths are /prime/N, /healthz, /readyz, /metrics, / and /live.json\n";

/// A slot's meta: the request's minor version, whether its connection stays open and whether it
/// was a HEAD (its response ends at its headers, RFC 9110 9.3.2).
constexpr std::uint8_t meta_minor = 1, meta_keep_alive = 2, meta_head = 4;
constexpr std::uint8_t meta_of(int minor_version, bool keep_alive, bool head = false) noexcept {
  return static_cast<std::uint8_t>((minor_version & 1) | (keep_alive ? meta_keep_alive : 0) |
                                   (head ? meta_head : 0));
}

/// What every resource allows: HEAD is GET without the body.
constexpr std::string_view allow_header = "Allow: GET, HEAD, OPTIONS\r\n";

response status(int code, std::string_view extra_headers = {}) {
  response r;
  r.status = code;
  r.extra_headers = extra_headers;
  return r;
}

/// The status a failed computation or a refused request is answered with.
int status_of(errc e) noexcept {
  switch (e) {
    case errc::empty_line:
    case errc::not_a_number:
    case errc::not_positive:
    case errc::too_large:
      return 400;
    case errc::busy:
    case errc::shutting_down:
    case errc::cancelled:
    case errc::too_many_connections:
      return 503;
    case errc::timeout:
      return 504;
    case errc::worker_died:
      return 502;
    default:
      return 500;
  }
}

}  // namespace

http_codec::http_codec(const protocol::error_lines& errors, std::uint64_t max_n, const site& pages,
                       std::size_t max_head, bool over_limit)
    : errors_(errors), max_n_(max_n), pages_(pages), reader_(max_head), over_limit_(over_limit) {}

event http_codec::next() {
  if (done_) return {};
  const auto ev = reader_.next();
  switch (ev.what) {
    case request_reader::status::need_more:
      return {};
    case request_reader::status::error: {
      done_ = true;  // the stream is unusable: the error is the last response
      const auto tag = replies_.push(meta_of(1, false));
      return respond(tag, status(ev.error.status), fmt::format("{}\n", ev.error.reason));
    }
    case request_reader::status::request:
      break;
  }
  return handle(ev.req);
}

event http_codec::handle(const request& req) {
  // Connection: close, HTTP/1.0, or a probe's connection past --max-connections.
  if (!req.keep_alive || over_limit_) done_ = true;
  const bool head = req.method == "HEAD";
  const auto tag = replies_.push(meta_of(req.minor_version, !done_ && !draining_, head));
  if (over_limit_) return handle_over_limit(tag, req);
  if (req.method == "OPTIONS") return respond(tag, status(200, allow_header), {});
  if (req.method != "GET" && !head) {
    return respond(tag, status(405, allow_header), "method not allowed: only GET and HEAD\n");
  }
  if (req.target == "*") return respond(tag, status(400), "bad target: * is for OPTIONS only\n");
  const std::string_view path = req.target.substr(0, req.target.find('?'));
  constexpr std::string_view prime = "/prime/";
  if (path.starts_with(prime)) {
    const auto parsed = protocol::parse_request(path.substr(prime.size()), max_n_);
    if (!parsed.ok()) return respond_error(tag, parsed.error);
    return {event::kind::request, tag, parsed.n, errc{}};
  }
  if (path == "/healthz") return respond(tag, status(200), "ok\n");
  if (path == "/readyz" || path == "/metrics") {
    const page p = path == "/readyz" ? pages_.readyz() : pages_.metrics();
    return respond(tag, p.head, p.body);
  }
  if (path == "/" || path == "/live.json") {
    const page p = path == "/" ? pages_.live_page() : pages_.live_json();
    return respond(tag, p.head, p.body);
  }
  return respond(tag, status(404), not_found_text);
}

event http_codec::handle_over_limit(std::uint64_t tag, const request& req) {
  // Liveness says the process works even when it is full; readiness says it takes no more.
  const std::string_view path = req.target.substr(0, req.target.find('?'));
  if (req.method == "GET" || req.method == "HEAD") {
    if (path == "/healthz") return respond(tag, status(200), "ok\n");
    if (path == "/readyz") {
      return respond(tag, status(503, "Retry-After: 1\r\n"), "not ready: too many connections\n");
    }
  }
  return respond_error(tag, errc::too_many_connections);
}

void http_codec::complete(std::uint64_t tag, std::uint64_t value, errc e) {
  if (e != errc{}) {
    respond_error(tag, e);
    return;
  }
  std::array<char, protocol::max_value_reply> digits;
  const auto n = protocol::format_value(value, digits);
  respond(tag, status(200), {digits.data(), n});
}

event http_codec::respond(std::uint64_t tag, const response& head, std::string_view body,
                          errc counted) {
  response r = head;
  const auto meta = replies_.meta(tag);
  r.minor_version = meta & meta_minor;
  // After the drain began, every response says the connection closes, whenever its request
  // came: the connection ends after its next reply.
  r.keep_alive = (meta & meta_keep_alive) != 0 && !draining_;
  auto& out = replies_.fill(tag);
  append_response(out, r, body);
  // HEAD: the same head, Content-Length included, and no body.
  if ((meta & meta_head) != 0) out.resize(out.size() - body.size());
  return {event::kind::replied, tag, 0, counted};
}

event http_codec::respond_error(std::uint64_t tag, errc e) {
  // The line protocol's reason, without its "ERR ": the same words on both faces.
  std::string_view text = errors_[e];
  if (text.starts_with("ERR ")) text.remove_prefix(4);
  const bool retry = e == errc::busy || e == errc::too_many_connections;
  return respond(tag, status(status_of(e), retry ? "Retry-After: 1\r\n" : ""), text, e);
}

std::string http_codec::last_word(errc why) const {
  if (why != errc::line_timeout || !replies_.empty()) return {};
  std::string text;
  response r = status(408);
  r.keep_alive = false;
  append_response(text, r, "request timeout: the request head was not complete in time\n");
  return text;
}

}  // namespace primeloop::http
