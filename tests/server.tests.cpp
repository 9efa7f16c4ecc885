// End-to-end tests of primeloop-server for each executor, on 127.0.0.1 with a port picked by
// the kernel. Waits are on events (a reply, a stats line, a closed socket), each with a deadline.
#include <poll.h>
#include <signal.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace primeloop::test;

namespace {

const std::vector<std::string> all_executors{"inline", "threads", "processes"};

/// Waits until the server's stats line reports `needle` (e.g. "in-flight 1").
bool wait_stats(server_process& s, std::string_view needle) {
  return s.proc.wait_for_line(needle).has_value();
}

/// Which of two sockets becomes readable first: 0 for a, 1 for b, -1 at the deadline.
int first_readable(const line_client& a, const line_client& b, milliseconds deadline) {
  pollfd fds[2] = {{a.fd(), POLLIN, 0}, {b.fd(), POLLIN, 0}};
  if (::poll(fds, 2, static_cast<int>(deadline.count())) <= 0) return -1;
  return (fds[0].revents & POLLIN) != 0 ? 0 : 1;
}

}  // namespace

TEST_CASE("Each executor answers a single request", "[server]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0"});
    CHECK(s.first_line.find("executor=" + ex) != std::string::npos);
    CHECK(ask(s.port, "10\n") == "29");
    CHECK(ask(s.port, "10000\r\n") == "104729");
  }
}

TEST_CASE("Each executor answers pipelined requests in request order", "[server]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--workload", "trial"});
    // A slow one first: with a pool, the small ones behind it finish earlier, yet must wait.
    const std::vector<std::string> want{"224737", "2", "3", "5", "29", "", "541", "7919"};
    const auto got = replies(s.port, "20000\n1\n2\n3\n10\nx\n100\n1000\n", want.size());
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (want[i].empty()) {
        CHECK(got[i].rfind("ERR ", 0) == 0);
      } else {
        CHECK(got[i] == want[i]);
      }
    }
  }
}

TEST_CASE("Each executor answers a bare number sent without a newline", "[server]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0"});
    line_client c(s.port);
    c.send("1000");
    CHECK(c.read_line() == "7919");
    // And again on the same connection, as the lesson's client does.
    c.send("10");
    CHECK(c.read_line() == "29");
    // A bare number followed by a half-close is answered too.
    CHECK(replies_to_half_close(s.port, "100") == std::vector<std::string>{"541"});
  }
}

TEST_CASE("Each executor answers bad input with ERR and keeps the connection", "[server]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--max-n", "5000"});
    const auto got = replies(s.port, "abc\n0\n\n5001\n-3\n7\n", 6);
    REQUIRE(got.size() == 6);
    CHECK(got[0].rfind("ERR not a number", 0) == 0);
    CHECK(got[1].rfind("ERR n must be", 0) == 0);
    CHECK(got[2].rfind("ERR empty line", 0) == 0);
    CHECK(got[3] == "ERR n is too large: the limit is 5000");
    CHECK(got[4].rfind("ERR n must be", 0) == 0);
    CHECK(got[5] == "17");
  }
}

TEST_CASE("A line over the limit gets ERR and the connection is closed", "[server]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--max-line", "32"});
  line_client c(s.port);
  c.send("5\n" + std::string(100, '1'));
  CHECK(c.read_line() == "11");
  const auto err = c.read_line();
  REQUIRE(err);
  CHECK(err->rfind("ERR line too long", 0) == 0);
  CHECK(c.wait_closed());
  CHECK(ask(s.port, "1\n") == "2");  // the server lives on
}

// The lesson as behaviour, not timing: while a long request computes for connection A, a small
// request from connection B is answered first by a pool, and only after A by inline.
TEST_CASE("Inline freezes other clients during a long request, pools do not", "[server][lesson]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0.02", "--workers", "2"});
    line_client a(s.port);
    a.send("10000\n");  // naive: most of a second of CPU
    REQUIRE(wait_stats(s, "in-flight 1 "));
    line_client b(s.port);
    b.send("10\n");
    const int first = first_readable(a, b, computation_deadline);
    if (ex == "inline") {
      CHECK(first == 0);
      CHECK(a.read_line(computation_deadline) == "104729");
      CHECK(b.read_line() == "29");
    } else {
      CHECK(first == 1);
      CHECK(b.read_line() == "29");
      a.close();  // end of stream: the server cancels A's computation
    }
  }
}

TEST_CASE("The stats line counts requests, errors, connections and work in flight", "[server]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0.05", "--workers", "2"});
  line_client c(s.port);
  std::string many;
  for (int i = 0; i < 200; ++i) many += "1\n";
  c.send(many + "x\n0\n\n");
  for (int i = 0; i < 200; ++i) REQUIRE(c.read_line() == "2");
  for (int i = 0; i < 3; ++i) REQUIRE(c.read_line()->rfind("ERR ", 0) == 0);
  // Exact counts once everything is answered: nothing in flight, one client, three errors.
  const auto line = s.proc.wait_for_line("in-flight 0 queued 0 busy 0/2 connections 1 errors 3 ");
  REQUIRE(line);
  CHECK(line->rfind("stats: ", 0) == 0);
  // The 200 answers were counted: some interval saw them (its rate is not 0). The printer reads
  // the answered count before the others, so the answers may show only in the next line.
  REQUIRE(s.proc.wait_for_line("stats: "));
  bool counted = false;
  for (const auto& l : s.proc.lines())
    counted = counted || (l.rfind("stats: ", 0) == 0 && l.rfind("stats: 0 ", 0) != 0);
  CHECK(counted);
  // The client leaves: the count follows.
  c.close();
  CHECK(s.proc.wait_for_line("connections 0 errors 3 "));
}

TEST_CASE("SIGHUP drains as SIGTERM does and SIGUSR1 is ignored", "[server]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});
  s.proc.signal(SIGUSR1);
  CHECK(ask(s.port, "3\n") == "5");
  s.proc.signal(SIGHUP);
  CHECK(s.proc.wait_for_line("signal 1 received").has_value());
  CHECK(s.proc.wait() == 0);
}

TEST_CASE("SIGTERM stops the server with status 0", "[server]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0"});
    CHECK(ask(s.port, "3\n") == "5");
    s.proc.signal(SIGTERM);
    CHECK(s.proc.wait() == 0);
  }
}

TEST_CASE("SIGTERM during a long inline computation ends it after the grace",
          "[server][shutdown]") {
  // The loop is frozen by the computation; the computation itself notices the signal.
  auto s = start_server({"--executor", "inline", "--stats-interval", "0.02", "--grace", "0.2"});
  line_client a(s.port);
  a.send("100000\n");  // naive: minutes of CPU
  REQUIRE(s.proc.wait_for_line("in-flight 1 "));
  s.proc.signal(SIGTERM);
  const auto reply = a.read_line();
  REQUIRE(reply);
  CHECK(reply->rfind("ERR shutting down", 0) == 0);
  CHECK(s.proc.wait() == 0);
}

TEST_CASE("A second signal during a long inline computation exits at once", "[server][shutdown]") {
  auto s = start_server({"--executor", "inline", "--stats-interval", "0.02", "--grace", "600"});
  line_client a(s.port);
  a.send("100000\n");
  REQUIRE(s.proc.wait_for_line("in-flight 1 "));
  s.proc.signal(SIGTERM);
  // The first signal is taken by the computation's check; wait until it is, then send another.
  // Both may merge into one pending signal if sent too close: resend until the process ends.
  std::optional<int> status;
  for (int i = 0; i < 200 && !status; ++i) {
    s.proc.signal(SIGINT);
    status = s.proc.wait(50ms);
  }
  REQUIRE(status);
  CHECK(*status == 1);
}

TEST_CASE("A client that half-closes after its requests still gets the answers", "[server][eof]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0"});
    CHECK(replies_to_half_close(s.port, "1\n2\n3\n1000\n") ==
          std::vector<std::string>{"2", "3", "5", "7919"});
  }
}

TEST_CASE("A client that closes during a long request frees the worker", "[server][eof]") {
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0.02", "--workers", "1"});
    {
      line_client a(s.port);
      a.send("100000\n");  // naive: minutes of CPU
      REQUIRE(s.proc.wait_for_line("in-flight 1 queued 0 busy 1/1"));
    }  // closed: FIN, not a reset
    CHECK(s.proc.wait_for_line("in-flight 0 queued 0 busy 0/1"));
    CHECK(ask(s.port, "10\n") == "29");
  }
}

TEST_CASE("A request that waited in the queue past the timeout gets ERR timeout", "[server]") {
  // The worker must stay busy past the queued request's deadline. A naive computation stops at
  // its own deadline, a few microseconds before the one queued behind it: the queued one would
  // then run or time out by that hair. The fast workload's library call has no check point, so
  // a pool thread finishes it (about 0.6 s for n = 10^13) long after the 0.3 s deadline; the
  // process pool kills its worker at the deadline and answers the queued one on its own timer
  // before a new worker has started.
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--workers", "1",
                           "--workload", "fast", "--request-timeout", "0.3", "--offload-above",
                           "0"});  // the 1 goes through the pool's queue too
    line_client c(s.port);
    c.send("10000000000000\n1\n");  // the 1 waits behind the long one for the whole timeout
    for (int i = 0; i < 2; ++i) {
      const auto reply = c.read_line();
      REQUIRE(reply);
      CHECK(reply->rfind("ERR timeout", 0) == 0);
    }
    CHECK(ask(s.port, "10\n") == "29");  // the worker is free again
  }
}

TEST_CASE("A client held back by the pipeline limit that closes frees the worker",
          "[server][eof]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0.02", "--workers", "1",
                         "--max-pipeline", "4"});
  {
    line_client a(s.port);
    std::string costly;
    for (int i = 0; i < 8; ++i) costly += "100000\n";  // 4 dispatched, 4 left unread
    a.send(costly);
    REQUIRE(s.proc.wait_for_line("in-flight 4 queued 3 busy 1/1"));
  }  // closed with requests unread by the server: it is not reading, yet must notice
  CHECK(s.proc.wait_for_line("in-flight 0 queued 0 busy 0/1"));
}

TEST_CASE("A pipelining client that half-closes past the pipeline limit gets every answer",
          "[server][eof]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--max-pipeline", "64"});
  line_client c(s.port);
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "1\n";
  c.send(many);
  c.shutdown_send();
  for (int i = 0; i < 3000; ++i) REQUIRE(c.read_line() == "2");
  CHECK(c.wait_closed());
}
