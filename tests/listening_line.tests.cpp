// The "listening on HOST:PORT" line read back: IPv4, IPv6 with and without brackets, and lines
// that must be refused.
#include <catch2/catch.hpp>

#include "benchmarks/harness/listening_line.hpp"

namespace h = primeloop::harness;

TEST_CASE("A listening line gives its IPv4 host and port", "[harness][listening]") {
  const auto a = h::parse_listening_line("listening on 127.0.0.1:41234 executor=inline workers=0");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 41234);
  const auto bare = h::parse_listening_line("listening on 127.0.0.1:8080");
  REQUIRE(bare);
  CHECK(bare->port == 8080);
}

TEST_CASE("A listening line gives an IPv6 host in brackets or bare", "[harness][listening]") {
  const auto bracketed = h::parse_listening_line("listening on [::1]:5555 executor=threads");
  REQUIRE(bracketed);
  CHECK(bracketed->host == "::1");
  CHECK(bracketed->port == 5555);
  const auto bare = h::parse_listening_line("listening on ::1:5556 executor=threads");
  REQUIRE(bare);
  CHECK(bare->host == "::1");
  CHECK(bare->port == 5556);
}

TEST_CASE("Lines that are not a listening line with a port are refused", "[harness][listening]") {
  for (const char* line :
       {"", "listening on", "listening on ", "warning: --workers 0", "Listening on 127.0.0.1:80",
        "listening on 127.0.0.1", "listening on 127.0.0.1:", "listening on :80",
        "listening on 127.0.0.1:0", "listening on 127.0.0.1:65536", "listening on 127.0.0.1:8o",
        "listening on [::1:80", "listening on [::1]80", "listening on []:80"}) {
    INFO(line);
    CHECK_FALSE(h::parse_listening_line(line));
  }
}
