// libFuzzer target for the HTTP face's request reader (core/http_request.*), response
// formatter (core/http_response.*) and codec (core/http_codec.*). Beyond "no crash, no sanitizer
// report", it checks that the reader gives the same requests and the same error however the stream
// is cut into reads, that what it accepts keeps the rules of docs/protocol.md ("The HTTP face"),
// and that a response's Content-Length is its body's. Any mismatch aborts, which libFuzzer reports
// as a crash.
//
// Input layout: byte 0 picks the head limit (64..575 bytes, small so that 431 is reached
// often), byte 1 the read size (1..64 bytes); the rest is the byte stream a client sends.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_codec.hpp"
#include "core/http_request.hpp"
#include "core/http_response.hpp"

namespace {

namespace http = primeloop::http;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "http_fuzzer: %s\n", what);
    std::abort();
  }
}

/// What the reader reports for a whole stream, with the views copied.
struct reading {
  std::vector<std::string> requests;  // method, target, version and keep-alive, as one string
  int error = 0;
  std::size_t left = 0;  // bytes buffered at the end when there was no error
};

void check_request(const http::request& r) {
  require(!r.method.empty(), "empty method");
  require(!r.target.empty() && r.target.front() == '/', "target not in origin form");
  require(std::none_of(r.target.begin(), r.target.end(),
                       [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }),
          "space or control character in a target");
  require(r.minor_version == 0 || r.minor_version == 1, "version other than 1.0 or 1.1");
}

reading read_all(std::string_view stream, std::size_t max_head, std::size_t chunk) {
  http::request_reader reader(max_head);
  reading out;
  for (;;) {
    for (;;) {
      const auto ev = reader.next();
      if (ev.what == http::request_reader::status::need_more) break;
      if (ev.what == http::request_reader::status::error) {
        const int s = ev.error.status;
        require(s == 400 || s == 413 || s == 431 || s == 505, "unexpected error status");
        require(!ev.error.reason.empty(), "an error without a reason");
        require(reader.prepare().empty(), "the reader reads on after an error");
        out.error = s;
        return out;
      }
      check_request(ev.req);
      out.requests.push_back(std::string(ev.req.method) + ' ' + std::string(ev.req.target) + ' ' +
                             std::to_string(ev.req.minor_version) +
                             (ev.req.keep_alive ? " alive" : " close"));
    }
    if (stream.empty()) break;
    const auto space = reader.prepare();
    require(!space.empty(), "no room for the next read");
    const std::size_t n = std::min({chunk, space.size(), stream.size()});
    std::memcpy(space.data(), stream.data(), n);
    reader.commit(n);
    stream.remove_prefix(n);
    require(reader.buffered() <= max_head, "buffered more than the head limit");
  }
  out.left = reader.buffered();
  return out;
}

struct fixed_site final : http::site {
  http::page readyz() const override { return {{}, "ready\n"}; }
  http::page metrics() const override { return {{}, "primeloop_up 1\n"}; }
  http::page live_page() const override { return {{}, "<title>live</title>\n"}; }
  http::page live_json() const override { return {{}, "{}"}; }
};

/// The responses an HTTP codec queues for a stream read chunk bytes at a time, every request
/// answered (newest first) with its n; each one checked to be one response.
std::string codec_responses(std::string_view stream, std::size_t max_head, std::size_t chunk) {
  static const primeloop::protocol::error_lines errors(1000, 1024);
  static const fixed_site site;
  http::http_codec c(errors, 1000, site, max_head);
  using kind = primeloop::protocol::event::kind;
  std::vector<std::uint64_t> tags, ns;
  std::size_t events = 0;
  const auto take = [&] {
    for (auto ev = c.next(); ev.what != kind::need_more; ev = c.next()) {
      ++events;
      if (ev.what == kind::request) {
        require(ev.n >= 1 && ev.n <= 1000, "codec: n out of range");
        tags.push_back(ev.tag);
        ns.push_back(ev.n);
      }
    }
  };
  for (take(); !stream.empty() && !c.done(); take()) {
    const auto space = c.prepare();
    const std::size_t n = std::min({chunk, space.size(), stream.size()});
    std::memcpy(space.data(), stream.data(), n);
    c.commit(n);
    stream.remove_prefix(n);
  }
  for (std::size_t i = tags.size(); i-- > 0;) c.complete(tags[i], ns[i], {});
  std::string out;
  require(c.replies().take_ready(out) == events, "codec: not one response per request");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_head = 64 + data[0] * std::size_t{2};
  const std::size_t chunk = 1 + data[1] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  const auto chunked = read_all(stream, max_head, chunk);
  const auto whole = read_all(stream, max_head, stream.size() + 1);
  require(chunked.requests == whole.requests, "requests depend on how the stream is read");
  require(chunked.error == whole.error, "the error depends on how the stream is read");
  require(chunked.left == whole.left, "what is left depends on how the stream is read");

  // The codec's responses do not depend on how the stream is read either.
  require(codec_responses(stream, max_head, chunk) ==
              codec_responses(stream, max_head, stream.size() + 1),
          "codec: responses depend on how the stream is read");

  // The whole stream as one head: parse_head never accepts what breaks the rules.
  http::request req;
  http::parse_error err;
  if (http::parse_head(stream, req, err)) check_request(req);

  // A response's Content-Length is its body's length, and the head ends where the body starts.
  std::string out;
  http::response r;
  r.status = 200 + data[0] % 400;
  r.keep_alive = (data[1] & 1) != 0;
  http::append_response(out, r, stream);
  const auto end = out.find("\r\n\r\n");
  require(end != std::string::npos && out.size() - end - 4 == stream.size(),
          "response body not where its head says");
  require(out.find("Content-Length: " + std::to_string(stream.size()) + "\r\n") < end,
          "wrong Content-Length");
  return 0;
}
