// The idle timeout after a completed exchange, on both faces (docs/protocol.md, "Limits"): a
// connection whose client got its answer and sent nothing more is closed one --idle-timeout
// after that exchange, not later. Measured on the client's clock, with deadlines: the lower
// bound from the request's send (the server's clock starts after it), the upper bound from the
// answer's arrival, with room for a loaded machine but less than a second timeout.
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "http_client.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

namespace {

using clock = std::chrono::steady_clock;

constexpr milliseconds idle{1000};
/// Less than one more timeout: a close that waited for a second one fails.
constexpr milliseconds slack{600};

}  // namespace

TEST_CASE("The idle timeout closes a connection one timeout after its last exchange, on both ports",
          "[idle]") {
  auto h = start_http({"--executor", "threads", "--stats-interval", "0", "--idle-timeout", "1"});

  SECTION("line protocol: ERR idle timeout, then closed") {
    line_client c(h.s.port);
    const auto sent = clock::now();
    c.send("10\n");
    REQUIRE(c.read_line() == "29");
    const auto answered = clock::now();
    const auto word = c.read_line(idle + 5 * slack);
    const auto closed = clock::now();
    REQUIRE(word);
    CHECK(word->rfind("ERR idle timeout", 0) == 0);
    CHECK(c.wait_closed());
    CHECK(closed - sent >= idle);
    CHECK(closed - answered < idle + slack);
  }
  SECTION("HTTP: an idle keep-alive connection is closed silently") {
    http_client c(h.http_port);
    const auto sent = clock::now();
    const auto r = c.get("/prime/10");
    REQUIRE(r);
    CHECK(r->status == 200);
    const auto answered = clock::now();
    REQUIRE(c.wait_closed(idle + 5 * slack));
    const auto closed = clock::now();
    CHECK(closed - sent >= idle);
    CHECK(closed - answered < idle + slack);
  }
}
