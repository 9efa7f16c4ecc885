// Scheduling across connections: the fair queue's turns and rounds, then end to end on
// 127.0.0.1: connections take turns for the workers, and one connection holds at most its share
// of --queue-limit, so a client with a backlog delays a newcomer by a turn, never by its whole
// backlog, and never makes it ERR busy.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "executors/fair_queue.hpp"
#include "pool_support.hpp"

using namespace primeloop::test;

namespace {

const std::vector<std::string> all_executors{"inline", "threads", "processes"};

/// A result sink that is only an address: the fair queue never calls it.
struct no_sink final : primeloop::executors::result_sink {
  void on_result(std::uint64_t, primeloop::executors::outcome) override {}
};

struct item {
  const primeloop::executors::result_sink* sink = nullptr;
  int id = 0;
};

/// The ids of the next `count` requests, in turn order.
std::vector<int> take_ids(primeloop::executors::fair_queue<item>& q, int count) {
  std::vector<int> ids;
  for (int i = 0; i < count; ++i) {
    const auto next = q.take();
    if (!next) break;
    ids.push_back(next->id);
  }
  return ids;
}

}  // namespace

TEST_CASE("The fair queue serves a newcomer before the connection it just served",
          "[fairness][fair-queue]") {
  no_sink a, b, c;
  primeloop::executors::fair_queue<item> q;
  for (int i = 1; i <= 5; ++i) q.push_back({&a, i});
  CHECK(take_ids(q, 1) == std::vector<int>{1});
  q.push_back({&b, 100});  // arrives while A's first request computes
  CHECK(take_ids(q, 2) == std::vector<int>{100, 2});
  // A had its turn in this round, B not yet: B, then both alternate, and a third that comes
  // has its turn in the round under way.
  q.push_back({&b, 101});
  q.push_back({&b, 102});
  CHECK(take_ids(q, 2) == std::vector<int>{101, 3});
  q.push_back({&c, 200});
  CHECK(take_ids(q, 4) == std::vector<int>{102, 200, 4, 5});
  CHECK(q.empty());
}

TEST_CASE("The fair queue lets a connection back in a round only once", "[fairness][fair-queue]") {
  // B sends one request at a time (its lane empties at each answer), C likewise: neither may
  // pass A twice in a round, so A waits at most one round.
  no_sink a, b, c;
  primeloop::executors::fair_queue<item> q;
  for (int i = 1; i <= 3; ++i) q.push_back({&a, i});
  q.push_back({&b, 100});
  CHECK(take_ids(q, 2) == std::vector<int>{1, 100});
  q.push_back({&b, 101});  // B had its turn in this round: it waits for the next one
  q.push_back({&c, 200});  // C has not: it goes first
  CHECK(take_ids(q, 3) == std::vector<int>{200, 2, 101});
  q.push_back({&c, 201});
  CHECK(take_ids(q, 2) == std::vector<int>{201, 3});  // a new round: C had no turn in it yet
  CHECK(q.empty());
}

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

TEST_CASE("Inline: a fresh connection waits for one computation, not for a pipelined backlog",
          "[fairness][inline]") {
  using clock = std::chrono::steady_clock;
  // The default (naive) workload: 10000 takes about half a second of CPU, so the backlog of
  // 1024 (--max-pipeline, and under the connection's share of --queue-limit) is minutes of work.
  auto s = start_server({"--executor", "inline", "--stats-interval", "0"});
  line_client a(s.port);
  std::string many;
  for (int i = 0; i < 1024; ++i) many += "10000\n";
  a.send(many);
  // One computation, as long as it takes on this machine and build (sanitizers are slower):
  // the time between two of A's answers.
  const auto one_computation = [&a] {
    REQUIRE(a.read_line() == "104729");
    const auto start = clock::now();
    REQUIRE(a.read_line() == "104729");
    return clock::now() - start;
  };
  const auto before = one_computation();

  // A computation of A's has just started: the newcomer waits for it, then has the next turn.
  line_client b(s.port);
  const auto written = clock::now();
  b.send("10\n");
  REQUIRE(b.read_line() == "29");
  const auto waited = clock::now() - written;
  // Measured again after: a test thread that was not scheduled between two answers measures
  // too short a computation once, hardly twice.
  const auto computation = std::max(before, one_computation());
  const auto ms = [](clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  INFO("one computation " << ms(computation) << " ms, the newcomer waited " << ms(waited) << " ms");
  // The second includes the loop's I/O between two turns and a loaded machine's noise in the
  // computation's length; the newcomer must not wait for a second computation of A's.
  CHECK(waited < computation + 1s);
  reset(a);  // minutes of work left: dropped
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("A connection past its share of --queue-limit gets ERR busy and another still queues",
          "[fairness][overload]") {
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    // A share is max(1, queue_limit / 4) + workers requests held, waiting or computing: 3 here.
    auto s =
        start_server({"--executor", ex, "--workers", "1", "--queue-limit", "8", "--stats-interval",
                      "0.02", "--offload-above", "0"});  // B's cheap request queues in the pool too
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
