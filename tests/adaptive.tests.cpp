// Adaptive offload end to end: with --offload-above (the server's default is not 0), a request
// cheaper than the line is computed on the loop, so it is answered while every worker is busy;
// with --offload-above 0 it waits for a worker, the lesson as told.
#include <string>

#include <catch2/catch.hpp>

#include "pool_support.hpp"

using namespace primeloop::test;

namespace {

// The naive workload's n = 100000 computes for seconds: long enough to hold the only worker
// while the test runs, and it is cancelled when its client leaves.
constexpr const char* long_naive_request = "100000\n";

}  // namespace

TEST_CASE("By default a cheap request is answered on the loop while the only worker computes",
          "[adaptive]") {
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    one_busy_worker w(ex, {}, long_naive_request);
    line_client b(w.server.port);
    b.send("1\n10\n");
    // The only worker holds the long request: answers now can only come from the loop.
    CHECK(b.read_line() == "2");
    CHECK(b.read_line() == "29");
    CHECK_FALSE(w.holder.read_line(0ms).has_value());
    w.holder.close();  // cancels the long request
  }
}

TEST_CASE("With --offload-above 0 a cheap request waits for the worker like any other",
          "[adaptive]") {
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    // Trial division of n = 300000 takes a fraction of a second: the worker is busy with it
    // when the cheap request arrives, and frees itself without a client leaving.
    one_busy_worker w(ex, {"--workload", "trial", "--offload-above", "0"}, "300000\n");
    REQUIRE(ask(w.server.port, "1\n") == "2");
    // The worker took the cheap request only after it had finished the long one, whose answer
    // was written before: it is waiting on the holder's socket now.
    CHECK(w.holder.read_line(0ms) == "4256233");
  }
}
