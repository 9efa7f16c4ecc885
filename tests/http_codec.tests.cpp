// The HTTP face's codec (core/http_codec.hpp) without a socket: the paths, each status, the
// Connection header, pipelined order, drain and the last word.
#include "core/http_codec.hpp"

#include <cctype>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "codec_feed.hpp"

using primeloop::errc;
using primeloop::http::http_codec;
using primeloop::http::page;
using primeloop::protocol::error_lines;
using primeloop::protocol::event;
using primeloop::test::answer_all;
using primeloop::test::feed;

namespace {

using kind = event::kind;

const error_lines errors(1000, 16);

/// The server's side of /readyz and /metrics, as a test sets it.
struct fake_site final : primeloop::http::site {
  bool ready = true;
  page readyz() const override {
    page p;
    p.head.status = ready ? 200 : 503;
    p.body = ready ? "ready\n" : "not ready: shutting down\n";
    return p;
  }
  page metrics() const override {
    page p;
    p.head.content_type = "text/plain; version=0.0.4";
    p.body = "primeloop_up 1\n";
    return p;
  }
  page live_page() const override {
    page p;
    p.head.content_type = "text/html; charset=utf-8";
    p.body = "<title>live</title>\n";
    return p;
  }
  page live_json() const override {
    page p;
    p.head.content_type = "application/json";
    p.head.extra_headers = "Cache-Control: no-store\r\n";
    p.body = "{}";
    return p;
  }
};

std::string get(std::string_view target, std::string_view headers = "Host: x\r\n") {
  return "GET " + std::string(target) + " HTTP/1.1\r\n" + std::string(headers) + "\r\n";
}

/// The status codes of a stream of responses, in order.
std::vector<int> statuses(std::string_view responses) {
  std::vector<int> out;
  for (auto at = responses.find("HTTP/1.1 "); at != std::string_view::npos;
       at = responses.find("HTTP/1.1 ", at + 1)) {
    const auto code = responses.substr(at + 9, 4);  // "200 ": not "HTTP/1.1 or" in a body
    if (code.size() == 4 && code[3] == ' ' && std::isdigit(static_cast<unsigned char>(code[0]))) {
      out.push_back(std::stoi(std::string(code)));
    }
  }
  return out;
}

/// How many times needle occurs in text.
std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("The HTTP codec makes GET /prime/N a request however the stream is split",
          "[http_codec]") {
  for (const std::size_t chunk : {1u, 3u, 1000u}) {
    INFO("reads of " << chunk);
    fake_site site;
    http_codec c(errors, 1000, site);
    const auto t = feed(c, get("/prime/10") + get("/prime/20?x=1"), chunk);
    CHECK(t.requests() == std::vector<std::uint64_t>{10, 20});
    const auto out = answer_all(c, t);
    CHECK(statuses(out) == std::vector<int>{200, 200});
    CHECK(out.find("Content-Length: 4\r\n\r\n100\n") != std::string::npos);
    CHECK(out.find("Connection:") == std::string::npos);  // HTTP/1.1 keeps it open silently
  }
}

TEST_CASE("The HTTP codec answers pages and bad requests at once, in request order",
          "[http_codec]") {
  fake_site site;
  http_codec c(errors, 1000, site);
  const auto t =
      feed(c, get("/prime/7") + get("/healthz") + get("/nowhere") + get("/prime/x") +
                  "POST /prime/1 HTTP/1.1\r\nHost: x\r\n\r\n" + get("/readyz") + get("/metrics"));
  REQUIRE(t.events.size() == 7);
  CHECK(t.events[0].what == kind::request);
  for (std::size_t i = 1; i < 7; ++i) CHECK(t.events[i].what == kind::replied);
  CHECK(t.events[3].error == errc::not_a_number);  // counted like the line protocol's
  CHECK(t.events[1].error == errc{});
  // Nothing goes out before the computed first answer.
  std::string none;
  CHECK(c.replies().take_ready(none) == 0);
  const auto out = answer_all(c, t);
  CHECK(statuses(out) == std::vector<int>{200, 200, 404, 400, 405, 200, 200});
  CHECK(out.find("Allow: GET, HEAD, OPTIONS\r\n") != std::string::npos);
  CHECK(out.find("not a number: send decimal digits only") != std::string::npos);
  CHECK(out.find("ERR ") == std::string::npos);
  CHECK(out.find("Content-Type: text/plain; version=0.0.4\r\n") != std::string::npos);
}

TEST_CASE("The HTTP codec serves the live page at / and its figures at /live.json",
          "[http_codec]") {
  fake_site site;
  http_codec c(errors, 1000, site);
  const auto t = feed(c, get("/") + get("/live.json?t=1"));
  REQUIRE(t.events.size() == 2);
  for (const auto& ev : t.events) CHECK(ev.what == kind::replied);
  const auto out = answer_all(c, t);
  CHECK(statuses(out) == std::vector<int>{200, 200});
  CHECK(out.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
  CHECK(out.find("<title>live</title>") != std::string::npos);
  CHECK(out.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(out.find("Cache-Control: no-store\r\n") != std::string::npos);
}

TEST_CASE("The HTTP codec answers each error of a computation with its status", "[http_codec]") {
  const std::vector<std::pair<errc, int>> cases{{errc::busy, 503},
                                                {errc::timeout, 504},
                                                {errc::worker_died, 502},
                                                {errc::shutting_down, 503},
                                                {errc::internal, 500}};
  for (const auto& [e, code] : cases) {
    fake_site site;
    http_codec c(errors, 1000, site);
    const auto t = feed(c, get("/prime/5"));
    const auto out = answer_all(c, t, e);
    CHECK(statuses(out) == std::vector<int>{code});
    CHECK((out.find("Retry-After: 1\r\n") != std::string::npos) == (e == errc::busy));
  }
}

TEST_CASE("Connection: close and HTTP/1.0 end the codec after their request", "[http_codec]") {
  fake_site site;
  http_codec c(errors, 1000, site);
  const auto t = feed(c, get("/healthz", "Host: x\r\nConnection: close\r\n") + get("/healthz"));
  CHECK(t.events.size() == 1);
  CHECK(c.done());
  CHECK(c.linger_at_close());
  const auto out = answer_all(c, t);
  CHECK(out.find("Connection: close\r\n") != std::string::npos);

  http_codec old(errors, 1000, site);
  const auto kept = feed(old, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK_FALSE(old.done());
  CHECK(answer_all(old, kept).find("Connection: keep-alive\r\n") != std::string::npos);
}

TEST_CASE("A bad head is a fatal reply with its status", "[http_codec]") {
  fake_site site;
  http_codec c(errors, 1000, site, 64);
  const auto t = feed(c, get("/healthz") + "GET /x HTTP/2.0\r\n\r\n" + get("/healthz"));
  REQUIRE(t.events.size() == 2);
  CHECK(c.done());
  const auto out = answer_all(c, t);
  CHECK(statuses(out) == std::vector<int>{200, 505});
  CHECK(out.rfind("Connection: close\r\n") > out.find("505"));

  http_codec small(errors, 1000, site, 64);
  const auto big = feed(small, "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n");
  CHECK(statuses(answer_all(small, big)) == std::vector<int>{431});
}

TEST_CASE("After drain every HTTP response closes the connection, whenever its request came",
          "[http_codec]") {
  fake_site site;
  http_codec c(errors, 1000, site);
  const auto early = feed(c, get("/prime/1"));
  CHECK(answer_all(c, early).find("Connection: close") == std::string::npos);
  const auto before = feed(c, get("/prime/2"));  // read before the drain, answered after
  c.drain();
  const auto after = feed(c, get("/prime/3"));
  const auto first = answer_all(c, before);
  const auto second = answer_all(c, after);
  CHECK(first.find("Connection: close\r\n") != std::string::npos);
  CHECK(second.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("Past the connection limit the HTTP codec answers one probe: /healthz 200, the rest 503",
          "[http_codec]") {
  fake_site site;
  for (const auto& [target, code] : std::vector<std::pair<std::string, int>>{
           {"/healthz", 200}, {"/readyz", 503}, {"/prime/5", 503}, {"/metrics", 503}}) {
    INFO(target);
    http_codec c(errors, 1000, site, primeloop::http::default_max_head, true);
    const auto t = feed(c, get(target) + get("/healthz"));
    const auto out = answer_all(c, t);
    CHECK(statuses(out) == std::vector<int>{code});  // one request, then the codec is done
    CHECK(c.done());
    CHECK(out.find("Connection: close\r\n") != std::string::npos);
  }
}

TEST_CASE("The HTTP codec's last word is 408 for a head begun and not finished only",
          "[http_codec]") {
  fake_site site;
  http_codec c(errors, 1000, site);
  CHECK(c.last_word(errc::idle_timeout).empty());
  const auto word = c.last_word(errc::line_timeout);
  CHECK(statuses(word) == std::vector<int>{408});
  CHECK(word.find("Connection: close\r\n") != std::string::npos);
  const auto t = feed(c, get("/prime/3"));
  CHECK(c.last_word(errc::line_timeout).empty());  // a response is owed: no 408 after it
  CHECK(c.end_of_stream() == primeloop::protocol::end_rule::linger);
  CHECK_FALSE(c.maybe_bare());
  (void)t;
}

TEST_CASE("A HEAD response is the GET response's head, Content-Length included, and no body",
          "[http_codec]") {
  fake_site site;
  http_codec c(errors, 1000, site);
  const auto head = [](std::string_view target) {
    return "HEAD " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  };
  // Pipelined: each HEAD ends at its empty line, so the next response follows it at once.
  const auto t = feed(c, head("/prime/10") + get("/prime/10") + head("/healthz") + get("/healthz") +
                             head("/nowhere") + head("/prime/x"));
  REQUIRE(t.events.size() == 6);
  CHECK(t.requests() == std::vector<std::uint64_t>{10, 10});
  const auto out = answer_all(c, t);
  CHECK(statuses(out) == std::vector<int>{200, 200, 200, 200, 404, 400});
  const std::string ok_head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\n";
  CHECK(out.rfind(ok_head + ok_head + "100\n", 0) == 0);
  CHECK(out.find("Content-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\n") != std::string::npos);
  CHECK(out.find("Content-Length: 3\r\n\r\nok\n") != std::string::npos);
  CHECK(out.find("not found") == std::string::npos);
  CHECK(out.find("not a number") == std::string::npos);
  CHECK(out.ends_with("\r\n\r\n"));
}

TEST_CASE("OPTIONS is answered with what is allowed, and * is only OPTIONS' target",
          "[http_codec]") {
  fake_site site;
  http_codec c(errors, 1000, site);
  const auto t = feed(c,
                      "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS /prime/1 HTTP/1.1\r\n"
                      "Host: x\r\n\r\n" +
                          get("/healthz"));
  REQUIRE(t.events.size() == 3);
  const auto out = answer_all(c, t);
  CHECK(statuses(out) == std::vector<int>{200, 200, 200});
  CHECK(count_of(out, "Content-Length: 0\r\nAllow: GET, HEAD, OPTIONS\r\n\r\n") == 2);
  CHECK(out.ends_with("\r\n\r\nok\n"));
}
