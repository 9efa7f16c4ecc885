// End-to-end tests of the reference servers of the lesson's first two stages, primeloop-blocking
// and primeloop-threaded: the protocol, bad input, their limits and shutdown.
#include <signal.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace primeloop::test;

namespace {

const std::vector<std::string> reference_servers{"primeloop-blocking", "primeloop-threaded"};

}  // namespace

TEST_CASE("Reference servers answer lines, pipelines and bare numbers", "[reference]") {
  for (const auto& program : reference_servers) {
    INFO(program);
    auto s = start_server({"--stats-interval", "0"}, program);
    CHECK(s.first_line.find("workload=naive") != std::string::npos);
    {
      line_client c(s.port);
      c.send("10\n1\r\n1000\n");
      CHECK(c.read_line() == "29");
      CHECK(c.read_line() == "2");
      CHECK(c.read_line() == "7919");
      c.send("100");  // a line client's partial line waits for its newline
      CHECK_FALSE(c.read_line(200ms));
      c.send("\n");
      CHECK(c.read_line() == "541");
    }
    line_client bare(s.port);
    bare.send("1000");
    CHECK(bare.read_line() == "7919");
    bare.shutdown_send();
    CHECK(bare.wait_closed());
  }
}

TEST_CASE("Reference servers answer bad input with readable errors and live on", "[reference]") {
  for (const auto& program : reference_servers) {
    INFO(program);
    auto s =
        start_server({"--stats-interval", "0", "--max-n", "1000", "--max-line", "16"}, program);
    line_client c(s.port);
    c.send("abc\n0\n-3\n\n5000\n10\n");
    for (const char* prefix : {"ERR not a number", "ERR n must", "ERR n must", "ERR ",
                               "ERR n is too large: the limit is 1000"}) {
      const auto got = c.read_line();
      REQUIRE(got);
      CHECK(got->rfind(prefix, 0) == 0);
    }
    CHECK(c.read_line() == "29");
    c.send(std::string(40, '7'));
    CHECK_THAT(refusal(c), Catch::StartsWith("ERR line too long"));
  }
}

TEST_CASE("The blocking server serves one connection at a time", "[reference]") {
  auto s = start_server({"--stats-interval", "0"}, "primeloop-blocking");
  line_client first(s.port);
  line_client second(s.port);  // queued by the kernel: connected, never read
  first.send("10\n");
  CHECK(first.read_line() == "29");
  second.send("10\n");
  CHECK_FALSE(second.read_line(300ms));  // first still holds the server
  first.close();
  CHECK(second.read_line() == "29");  // served once the first one left
}

TEST_CASE("The threaded server refuses connections past --max-connections", "[reference]") {
  auto s = start_server({"--stats-interval", "0", "--max-connections", "2"}, "primeloop-threaded");
  line_client a(s.port), b(s.port);
  a.send("10\n");
  b.send("10\n");
  CHECK(a.read_line() == "29");
  CHECK(b.read_line() == "29");
  line_client c(s.port);
  CHECK_THAT(refusal(c), Catch::StartsWith("ERR too many connections"));
}

TEST_CASE("The threaded server with the lock model still answers every connection", "[reference]") {
  auto s = start_server({"--stats-interval", "0", "--gil", "--switch-interval", "0.002"},
                        "primeloop-threaded");
  CHECK(s.first_line.find("gil=0.002s") != std::string::npos);
  line_client a(s.port), b(s.port);
  a.send("2000\n");
  b.send("10\n");
  CHECK(b.read_line() == "29");
  CHECK(a.read_line() == "17389");
}

TEST_CASE("Reference servers close idle connections after --idle-timeout", "[reference]") {
  for (const auto& program : reference_servers) {
    INFO(program);
    auto s = start_server({"--stats-interval", "0", "--idle-timeout", "0.2"}, program);
    line_client c(s.port);
    CHECK_THAT(refusal(c), Catch::StartsWith("ERR idle timeout"));
  }
}

TEST_CASE("Reference servers stop on SIGTERM during a long computation and exit 0", "[reference]") {
  for (const auto& program : reference_servers) {
    INFO(program);
    auto s = start_server({"--stats-interval", "1", "--grace", "0"}, program);
    line_client c(s.port);
    c.send("100000000\n");  // hours with the naive workload
    REQUIRE(s.proc.wait_for_line("busy 1/"));
    s.proc.signal(SIGTERM);
    const auto reply = c.read_line();
    REQUIRE(reply);
    CHECK(reply->rfind("ERR shutting down", 0) == 0);
    CHECK(s.proc.wait() == 0);
  }
}
