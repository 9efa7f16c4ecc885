// /live.json through the HTTP face: what the live page reads of a long request in flight.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http_client.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

namespace {

/// The server's /live.json body, read on a connection of its own.
std::string live_json(std::uint16_t http_port) {
  const auto r = http_get(http_port, "/live.json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return r->body;
}

bool long_running(const std::string& json) {
  return json.find("\"long_request\":{\"running\":true,") != std::string::npos;
}

}  // namespace

TEST_CASE("/live.json says a long request is in flight while one computes, and only then",
          "[http][live]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--http-port", "0"});
  const auto http_port = read_http_port(s);
  REQUIRE(http_port != 0);
  CHECK_THAT(live_json(http_port), Catch::Contains("\"long_request\":{\"running\":false,\"n\":0,"));

  SECTION("a line client's long request, until its client leaves and it is cancelled") {
    line_client small(s.port);
    line_client long_one(s.port);
    long_one.send("100000\n");  // naive: minutes of CPU
    std::string seen;
    REQUIRE(eventually([&] { return long_running(seen = live_json(http_port)); }));
    INFO(seen);
    CHECK(json_number(seen, "n", "long_request") == 100000);
    CHECK(json_number(seen, "elapsed", "long_request") >= 0);
    // Small requests are no long request: answered, while the long one still shows.
    small.send("1\n");
    CHECK(small.read_line() == std::optional<std::string>{"2"});
    CHECK(long_running(live_json(http_port)));
    reset(long_one);  // the server cancels the work of a client that left
    CHECK(eventually([&] { return !long_running(live_json(http_port)); }));
  }

  SECTION("the live page's control, GET /prime/n, until its answer") {
    http_client page(http_port);
    page.send_get("/prime/10000");  // naive: most of a second
    std::string seen;
    REQUIRE(eventually([&] { return long_running(seen = live_json(http_port)); }));
    INFO(seen);
    CHECK(json_number(seen, "n", "long_request") == 10000);
    const auto answer = page.read_response(std::chrono::seconds{120});
    REQUIRE(answer);
    CHECK_THAT(answer->body, Catch::StartsWith("104729"));
    CHECK_THAT(live_json(http_port), Catch::Contains("\"long_request\":{\"running\":false,"));
  }
}
