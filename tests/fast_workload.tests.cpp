// The fast workload end to end: answers far past the sieve's reach, and what happens to a
// computation that cannot check a stop flag (a library call) when its client leaves or its
// time runs out. The process pool kills the worker; a pool thread must finish the call, so the
// wait is bounded by --max-n (docs/architecture.md, "Cancellation").
#include <string>

#include <catch2/catch.hpp>

#include "pool_support.hpp"

using namespace primeloop::test;

namespace {

// The 10^13-th prime (OEIS A006988, https://oeis.org/A006988): fast's default --max-n, and
// about 0.6 s of CPU on the development machine.
constexpr const char* largest_default = "10000000000000\n";
constexpr const char* largest_default_answer = "323780508946331";

}  // namespace

TEST_CASE("The fast workload answers n up to its default --max-n on every executor", "[fast]") {
  for (const std::string ex : {"inline", "threads", "processes"}) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--workload", "fast", "--stats-interval", "0"});
    line_client c(s.port);
    // 10^12-th prime: OEIS A006988.
    c.send(std::string("1\n10\n1000000000000\n") + largest_default + "10000000000001\n");
    CHECK(c.read_line() == "2");
    CHECK(c.read_line() == "29");
    CHECK(c.read_line() == "29996224275833");
    CHECK(c.read_line() == largest_default_answer);
    const auto refused = c.read_line();
    REQUIRE(refused);
    CHECK(refused->starts_with("ERR n is too large: the limit is 10000000000000"));
  }
}

TEST_CASE("A fast computation whose client leaves: the process pool kills it, a thread finishes it",
          "[fast][cancel]") {
  for (const std::string ex : {"processes", "threads"}) {
    INFO(ex);
    one_busy_worker w(ex, {"--workload", "fast", "--offload-above", "0"}, largest_default);
    if (ex == "processes") {
      reset(w.holder);
      // Cancelled by killing the worker: the stats line counts the kill, a fresh worker answers.
      CHECK(w.server.proc.wait_for_line("kills 1"));
      CHECK(ask(w.server.port, "10\n") == "29");
      continue;
    }
    // Another client's request waits for the only thread, which cannot stop a library call.
    line_client next(w.server.port);
    next.send(largest_default);
    reset(w.holder);
    // The loop serves meanwhile: a request it answers without the pool.
    const auto refused = ask(w.server.port, "10000000000001\n");
    REQUIRE(refused);
    CHECK(refused->starts_with("ERR n is too large"));
    // The thread finishes the abandoned call (its answer goes nowhere), then computes the
    // waiting one and answers it correctly.
    CHECK(next.read_line() == largest_default_answer);
    CHECK(ask(w.server.port, "10\n") == "29");
  }
}

TEST_CASE("A fast computation past --request-timeout gets ERR timeout on both pools",
          "[fast][timeout]") {
  for (const std::string ex : {"processes", "threads"}) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--workers", "1", "--workload", "fast",
                           "--request-timeout", "0.1", "--stats-interval", "0"});
    line_client c(s.port);
    c.send(largest_default);
    const auto reply = c.read_line();
    REQUIRE(reply);
    CHECK(reply->starts_with("ERR timeout"));
    CHECK(ask(s.port, "10\n") == "29");
  }
}
