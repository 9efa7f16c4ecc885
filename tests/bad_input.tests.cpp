// Bad input (docs/protocol.md), end to end: the real primeloop-server on 127.0.0.1 port 0.
// Every bad input of the protocol's table, from line clients and bare clients, and lines over
// the limit, each time checking that another client is still served.
#include <catch2/catch.hpp>

#include "limits_support.hpp"

using namespace primeloop::test;
using namespace primeloop::test::limits;

TEST_CASE("Every bad input gets a readable ERR line and the connection lives on",
          "[limits][bad-input]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--max-n", "5000"});
    const auto cases = bad_inputs("ERR n is too large: the limit is 5000");
    line_client c(s.port);
    line_client other(s.port);
    c.send("1\n");  // a line client from here on (the bare-number rule is over)
    REQUIRE(c.read_line() == "2");

    // One at a time, another client served in between.
    for (const auto& bad : cases) {
      INFO(bad.what);
      c.send(bad.bytes);
      CHECK(starts_with(c.read_line(), bad.reply));
      other.send("10\n");
      CHECK(other.read_line() == "29");
    }
    // All of them pipelined in one write, each followed by a good request: answered in order.
    std::string all;
    for (const auto& bad : cases) all += bad.bytes + "3\n";
    c.send(all);
    for (const auto& bad : cases) {
      INFO(bad.what);
      CHECK(starts_with(c.read_line(), bad.reply));
      CHECK(c.read_line() == "5");
    }
    // The connection still works, and so does everyone else.
    c.send("7\n");
    CHECK(c.read_line() == "17");
    CHECK(ask(s.port, "1000\n") == "7919");
  }
}

TEST_CASE("Bad input from a bare client (no newline yet) gets ERR too", "[limits][bad-input]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--max-n", "5000"});
  const std::vector<std::pair<std::string, std::string>> cases{
      {"abc", "ERR not a number: send decimal digits only, like 10"},
      {"-5", err_not_positive},
      {"0", err_not_positive},
      {" 7", "ERR not a number: send decimal digits only, like 10"},
      {"99999999999999999999999999999", "ERR n is too large: the limit is 5000"},
  };
  for (const auto& [bare, reply] : cases) {
    INFO(bare);
    line_client c(s.port);
    c.send(bare);
    CHECK(c.read_line() == reply);
    c.send("10");  // still a bare client, still served
    CHECK(c.read_line() == "29");
  }
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("A line longer than --max-line gets ERR, then close, with memory bounded",
          "[limits][bad-input]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});  // default 1024
  line_client other(s.port);
  const auto rss_before = rss_kib(s.proc.pid());

  SECTION("a flood of digits with no newline") {
    line_client c(s.port);
    c.send("5\n");
    REQUIRE(c.read_line() == "11");
    // Far more than the limit: the server must stop at it, not buffer what follows.
    const std::string flood(8 << 20, '7');
    std::string_view rest = flood;
    const auto until = clock::now() + default_deadline;
    while (!rest.empty() && clock::now() < until) {
      const auto sent = send_some(c.fd(), rest);
      rest.remove_prefix(sent);
      if (sent == 0) {
        pollfd p{c.fd(), POLLOUT, 0};
        ::poll(&p, 1, 100);
        if ((p.revents & (POLLERR | POLLHUP)) != 0) break;  // the server closed: expected
      }
    }
    CHECK(c.read_line() == "ERR line too long: no newline within 1024 bytes, closing");
    CHECK(c.wait_closed());
    const auto rss_after = rss_kib(s.proc.pid());
    INFO("server RSS " << rss_before << " KiB -> " << rss_after << " KiB, client sent "
                       << (flood.size() - rest.size()) << " bytes");
    CHECK(rss_after < rss_before + 4096);
  }
  SECTION("a long line with a newline, after good requests; what follows is not read") {
    line_client c(s.port);
    c.send("5\n" + std::string(2000, '1') + "\n10\n");
    CHECK(c.read_line() == "11");
    CHECK(starts_with(c.read_line(), "ERR line too long"));
    CHECK(c.wait_closed());
  }
  SECTION("the limit follows --max-line") {
    auto t = start_server({"--executor", "threads", "--stats-interval", "0", "--max-line", "8"});
    line_client c(t.port);
    c.send("00000010\n");  // exactly the limit: fine
    CHECK(c.read_line() == "29");
    c.send("123456789\n");
    CHECK(c.read_line() == "ERR line too long: no newline within 8 bytes, closing");
    CHECK(c.wait_closed());
  }
  other.send("10\n");
  CHECK(other.read_line() == "29");
}
