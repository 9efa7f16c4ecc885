// End to end, on every executor: a client that leaves has its remaining work dropped, a bare
// number completed by end of stream is answered however long it takes, and a line that never
// ends is closed by --line-timeout. The real primeloop-server on 127.0.0.1 port 0; every wait
// is on an event with a deadline.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "benchmarks/harness/proc_stat.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

namespace {

using clock = std::chrono::steady_clock;

/// The scheduling state of a process's main thread (the loop's): 'R' while it computes, 'S'
/// while it waits in epoll for something to do.
char loop_state(pid_t pid) {
  return primeloop::harness::read_proc_stat(pid).value_or(primeloop::harness::proc_stat{}).state;
}

/// Waits until the loop thread sleeps.
bool wait_loop_idle(pid_t pid, milliseconds deadline = default_deadline) {
  return eventually([&] { return loop_state(pid) == 'S'; }, deadline);
}

/// Closes with a reset (SO_LINGER 0), as a killed client does.
void close_with_reset(line_client& c) {
  const linger abort{1, 0};
  ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  c.close();
}

/// 200 requests of about a fifth of a second each on the naive workload (n = 5000): far more
/// work than any deadline here, so only dropping it lets the server go quiet in time.
std::string costly_pipeline() {
  std::string many;
  for (int i = 0; i < 200; ++i) many += "5000\n";
  return many;
}

/// A client pipelines costly work, reads one answer, then leaves (by reset or end of stream):
/// the server must drop the rest, answer a newcomer, and go idle.
void leave_mid_pipeline(const std::string& ex, bool by_reset) {
  INFO(ex << (by_reset ? " reset" : " end of stream"));
  auto s = start_server({"--executor", ex, "--stats-interval", "0.05", "--workers", "1"});
  line_client a(s.port);
  a.send(costly_pipeline());
  REQUIRE(a.read_line() == "48611");  // work is under way
  if (by_reset) {
    close_with_reset(a);
  } else {
    a.close();
  }
  CHECK(ask(s.port, "10\n") == "29");
  // Nothing is left for the pool, and the loop thread has nothing to compute either.
  CHECK(s.proc.wait_for_line("in-flight 0 queued 0 busy 0/"));
  CHECK(wait_loop_idle(s.proc.pid()));
}

}  // namespace

TEST_CASE("A client that leaves mid-pipeline has its remaining work dropped (pools)",
          "[session][eof]") {
  for (const std::string ex : {"threads", "processes"}) {
    leave_mid_pipeline(ex, true);
    leave_mid_pipeline(ex, false);
  }
}

TEST_CASE("A client that leaves mid-pipeline has its remaining work dropped (inline)",
          "[session][eof]") {
  leave_mid_pipeline("inline", true);
  leave_mid_pipeline("inline", false);
}

TEST_CASE("A bare number completed by end of stream is answered however long it takes",
          "[session][bare]") {
  for (const std::string ex : {"inline", "threads", "processes"}) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0"});
    line_client c(s.port);
    c.send("10000");  // naive: about half a second, far past the end-of-stream linger
    c.shutdown_send();
    CHECK(c.read_line(computation_deadline) == "104729");
    CHECK(c.wait_closed());
  }
}

TEST_CASE("A line that never ends gets ERR line timeout and is closed", "[session][slow]") {
  for (const std::string ex : {"inline", "threads", "processes"}) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--line-timeout", "0.5",
                           "--idle-timeout", "60"});
    line_client c(s.port);
    c.send("10\n1");
    REQUIRE(c.read_line() == "29");
    // One byte at a time, each well within the idle timeout: only the line deadline can end it.
    bool answered = false;
    for (const auto until = clock::now() + default_deadline; clock::now() < until;) {
      pollfd p{c.fd(), POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        answered = true;
        break;
      }
      c.send("1");
    }
    REQUIRE(answered);
    CHECK(c.read_line() == "ERR line timeout: no newline within 0.5 s, closing");
    CHECK(c.wait_closed());
    CHECK(ask(s.port, "10\n") == "29");  // the server lives on
  }
}

TEST_CASE("Complete lines arriving slowly are not cut by the line timeout", "[session][slow]") {
  auto s =
      start_server({"--executor", "threads", "--stats-interval", "0", "--line-timeout", "0.3"});
  line_client c(s.port);
  for (int i = 0; i < 8; ++i) {
    c.send("3\n");
    REQUIRE(c.read_line() == "5");
    pollfd p{c.fd(), POLLIN, 0};
    CHECK(::poll(&p, 1, 100) == 0);  // silence between whole lines is the idle timeout's affair
  }
}
