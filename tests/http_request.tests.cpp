// The HTTP request reader and response formatter (core/http_request.hpp, core/http_response.hpp):
// pipelining, requests split across reads, the head limit and bad input, each with its status.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/http_request.hpp"
#include "core/http_response.hpp"

using primeloop::http::request_reader;
using status = request_reader::status;

namespace {

/// An event whose views are copied: they point into the reader's buffer until its next prepare().
struct owned_event {
  status what = status::need_more;
  primeloop::http::request req;
  primeloop::http::parse_error error;
  std::string method, target;
};

/// Feeds bytes to the reader in pieces of `chunk` bytes; returns every event until need_more
/// with nothing left to feed, or an error.
std::vector<owned_event> feed(request_reader& r, std::string_view bytes,
                              std::size_t chunk = 1 << 20) {
  std::vector<owned_event> out;
  for (;;) {
    for (auto ev = r.next();; ev = r.next()) {
      if (ev.what == status::need_more) break;
      out.push_back(
          {ev.what, ev.req, ev.error, std::string(ev.req.method), std::string(ev.req.target)});
      if (ev.what == status::error) return out;
    }
    if (bytes.empty()) return out;
    const auto space = r.prepare();
    const auto n = std::min({chunk, space.size(), bytes.size()});
    std::memcpy(space.data(), bytes.data(), n);
    r.commit(n);
    bytes.remove_prefix(n);
  }
}

int error_status(std::string_view bytes, std::size_t max_head = 8192) {
  request_reader r(max_head);
  const auto evs = feed(r, bytes);
  return evs.empty() || evs.back().what != status::error ? 0 : evs.back().error.status;
}

}  // namespace

TEST_CASE("The HTTP reader parses a request's method, target, version and keep-alive",
          "[http_request]") {
  request_reader r;
  const auto evs = feed(r, "GET /prime/10 HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n");
  REQUIRE(evs.size() == 1);
  REQUIRE(evs[0].what == status::request);
  CHECK(evs[0].method == "GET");
  CHECK(evs[0].target == "/prime/10");
  CHECK(evs[0].req.minor_version == 1);
  CHECK(evs[0].req.keep_alive);
  CHECK(r.buffered() == 0);
}

TEST_CASE("The HTTP reader takes absolute-form targets as their path, and * for OPTIONS",
          "[http_request]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"GET http://127.0.0.1:8080/prime/10 HTTP/1.1", "/prime/10"},
      {"GET HTTPS://h/prime/10?x=1 HTTP/1.1", "/prime/10?x=1"},
      {"GET http://h HTTP/1.1", "/"},
      {"GET http://h?q HTTP/1.1", "/"},
      {"OPTIONS * HTTP/1.1", "*"},
  };
  for (const auto& [line, target] : cases) {
    INFO(line);
    request_reader r;
    const auto evs = feed(r, line + "\r\nHost: h\r\n\r\n");
    REQUIRE(evs.size() == 1);
    REQUIRE(evs[0].what == status::request);
    CHECK(evs[0].target == target);
  }
}

TEST_CASE("The HTTP reader gives two pipelined requests from one buffer, in order",
          "[http_request]") {
  request_reader r;
  const auto evs = feed(r,
                        "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: "
                        "x\r\nConnection: close\r\n\r\nGET /c");
  REQUIRE(evs.size() == 2);
  CHECK(evs[0].target == "/a");
  CHECK(evs[0].req.keep_alive);
  CHECK(evs[1].target == "/b");
  CHECK_FALSE(evs[1].req.keep_alive);
  CHECK(r.buffered() == 6);
}

TEST_CASE("The HTTP reader gives the same request however it is split across reads",
          "[http_request]") {
  const std::string text =
      "\r\nGET /prime/7 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /x HTTP/1.1\nHost: y\n\n";
  for (std::size_t chunk = 1; chunk <= text.size(); ++chunk) {
    INFO("chunk " << chunk);
    request_reader r;
    std::vector<std::string> targets;
    std::vector<bool> alive;
    for (const auto& ev : feed(r, text, chunk)) {
      REQUIRE(ev.what == status::request);
      targets.push_back(ev.target);
      alive.push_back(ev.req.keep_alive);
    }
    CHECK(targets == std::vector<std::string>{"/prime/7", "/x"});
    CHECK(alive == std::vector<bool>{true, true});
  }
}

TEST_CASE("HTTP/1.0 closes unless it asks for keep-alive, and Connection close is honoured",
          "[http_request]") {
  const auto alive = [](std::string_view text) {
    request_reader r;
    const auto evs = feed(r, text);
    REQUIRE(evs.size() == 1);
    REQUIRE(evs[0].what == status::request);
    return evs[0].req.keep_alive;
  };
  CHECK_FALSE(alive("GET / HTTP/1.0\r\n\r\n"));
  CHECK(alive("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"));
  CHECK_FALSE(alive("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n"));
  CHECK(alive("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n"));
}

TEST_CASE("The HTTP reader refuses a head over its limit with 431", "[http_request]") {
  const std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  CHECK(error_status(big, 128) == 431);
  CHECK(error_status(big, 512) == 0);
  CHECK(error_status("GET /" + std::string(300, 'a'), 128) == 431);
  // Pipelined requests that together exceed the limit are fine: each fits.
  request_reader r(128);
  std::string many;
  for (int i = 0; i < 20; ++i) many += "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
  CHECK(feed(r, many, 7).size() == 20);
}

TEST_CASE("The HTTP reader answers bad request lines and headers with 400", "[http_request]") {
  for (const char* bad : {
           "GET\r\n\r\n",
           "GET /\r\n\r\n",
           "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
           "GET x HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET http:///prime/1 HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET ftp://a/prime/1 HTTP/1.1\r\nHost: a\r\n\r\n",
           "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1\r\nHost: a\r\n\r\n",
           "GET / http/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
           "GET / HTTP/1.1\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       }) {
    INFO(bad);
    CHECK(error_status(bad) == 400);
  }
}

TEST_CASE("The HTTP reader refuses request bodies with 413 and other versions with 505",
          "[http_request]") {
  CHECK(error_status("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello") == 413);
  CHECK(error_status("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") == 413);
  CHECK(error_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") == 0);
  CHECK(error_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505);
  CHECK(error_status("GET / HTTP/1.2\r\n\r\n") == 505);
  CHECK(error_status("GET / HTTP/0.9\r\n\r\n") == 505);
}

TEST_CASE("After an error the HTTP reader reads nothing more", "[http_request]") {
  request_reader r;
  const auto evs = feed(r, "BAD\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].what == status::error);
  CHECK(r.prepare().empty());
  CHECK(r.next().what == status::error);
}

TEST_CASE("HTTP responses carry their length, and close or keep-alive as asked", "[http_request]") {
  using primeloop::http::response;
  const auto written = [](const response& r, std::string_view body) {
    std::string out;
    primeloop::http::append_response(out, r, body);
    return out;
  };
  CHECK(written({}, "29\n") ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
        "3\r\n\r\n29\n");
  const response busy{.status = 503, .extra_headers = "Retry-After: 1\r\n", .keep_alive = false};
  CHECK(written(busy, "") ==
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n");
  response http10;
  http10.minor_version = 0;
  CHECK(written(http10, "").find("Connection: keep-alive\r\n") != std::string::npos);
}
