// Scheduling across connections, end to end on 127.0.0.1: connections take turns for the
// workers, and one connection holds at most its share of --queue-limit, so a client with a
// backlog delays a newcomer by a turn, never by its whole backlog, and never makes it ERR busy.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pool_support.hpp"

using namespace primeloop::test;

namespace {

const std::vector<std::string> all_executors{"inline", "threads", "processes"};

}  // namespace

TEST_CASE("A fresh connection is answered while another connection's backlog still computes",
          "[fairness]") {
  // Trial division: 10000 takes milliseconds, the backlog about a second of CPU.
  constexpr int backlog = 300;  // under --max-pipeline (1024) and the share of --queue-limit
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--workload", "trial", "--stats-interval", "0"});
    line_client a(s.port);
    std::string many;
    for (int i = 0; i < backlog; ++i) many += "10000\n";
    a.send(many);
    int a_answered = 0;
    REQUIRE(a.read_line() == "104729");  // A's backlog is being worked on
    ++a_answered;

    line_client b(s.port);
    b.send("10\n");
    REQUIRE(b.read_line() == "29");
    // What A has been sent by now: some of its answers, not all of them.
    while (const auto line = a.read_line(0ms)) {
      REQUIRE(*line == "104729");
      ++a_answered;
    }
    CHECK(a_answered < backlog);
    // And the rest of the backlog is answered too.
    while (a_answered < backlog) {
      INFO(a_answered << " of A's answers read");
      REQUIRE(a.read_line() == "104729");
      ++a_answered;
    }
  }
}

TEST_CASE("A connection past its share of --queue-limit gets ERR busy and another still queues",
          "[fairness][overload]") {
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    // A share is max(1, queue_limit / 4) + workers requests held, waiting or computing: 3 here.
    auto s = start_server(
        {"--executor", ex, "--workers", "1", "--queue-limit", "8", "--stats-interval", "0.02",
         "--offload-above", "0"});  // B's cheap request queues in the pool too
    line_client a(s.port);
    std::string twelve;
    for (int i = 0; i < 12; ++i) twelve += long_request;  // more than the whole queue
    a.send(twelve);
    // A holds its share: one computing, two waiting; its nine others were refused.
    REQUIRE(s.proc.wait_for_line("in-flight 3 queued 2 busy 1/1"));

    line_client b(s.port);
    b.send("10\n");
    REQUIRE(s.proc.wait_for_line("in-flight 4 queued 3 busy 1/1"));  // B's request waits
    // A's refusals come in request order, after its three long answers: A leaves, its work is
    // cancelled, and B gets its answer, not ERR busy.
    reset(a);
    CHECK(b.read_line() == "29");
  }
}

TEST_CASE("A lone connection keeps every worker busy under a small --queue-limit",
          "[fairness][overload]") {
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    // A quarter of the queue is one request; what computes takes no room in the queue, so the
    // share counts one request per worker more: 3.
    auto s = start_server(
        {"--executor", ex, "--workers", "2", "--queue-limit", "4", "--stats-interval", "0.02"});
    line_client a(s.port);
    a.send(long_request + long_request + long_request);
    REQUIRE(s.proc.wait_for_line("in-flight 3 queued 1 busy 2/2"));
    reset(a);
    REQUIRE(s.proc.wait_for_line("in-flight 0 queued 0 busy 0/2"));
    CHECK(ask(s.port, "10\n") == "29");
  }
}
