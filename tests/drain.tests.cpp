// The drain on SIGTERM loses no request the kernel had already taken (docs/protocol.md,
// "Shutdown"): requests received but not read yet, and connections completed but not accepted
// yet, are all answered before the server exits; a persistent connection ends where its client
// can tell; and the drain delay comes before the grace on every executor. Both faces, on
// 127.0.0.1 port 0.
//
// Determinism: a request counts as "received" once the client's send() has returned, since on
// loopback the bytes are then in the server's receive queue; the signal is sent after that.
// Where a test needs the server not to have read (or accepted) yet, the inline executor
// freezes the loop with a long computation: nothing is read or accepted until it ends, and
// with a long --grace the computation is not cut short by the signal.
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http_client.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

namespace {

constexpr int pipelined = 300;

/// The loop's long computation, naive workload: n = 10000 is half a second of CPU on an idle core
/// in a release build (several under load), far longer than the test takes to send what must
/// stay unread. Sanitizer builds compute about ten times slower (n = 20000 took 40 s under ASan
/// on a loaded machine), so they ask n = 5000.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::string_view long_n = "5000";
constexpr std::string_view long_answer = "48611";
#else
constexpr std::string_view long_n = "10000";
constexpr std::string_view long_answer = "104729";
#endif
const std::string long_request = std::string(long_n) + "\n";
/// Its answer is waited for as long as a loaded machine may take; the test's point is what
/// comes after it, not how soon.
constexpr std::chrono::milliseconds long_deadline{120'000};

std::string lines_of(std::string_view line, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += line;
  return out;
}

}  // namespace

TEST_CASE("Drain: pipelined requests sent right before SIGTERM are all answered", "[drain]") {
  for (const std::string ex : {"inline", "threads"}) {
    INFO(ex);
    // A small pipeline limit: the requests come in several rounds, the last ones read from the
    // kernel well after the signal.
    auto s = start_server(
        {"--executor", ex, "--stats-interval", "0", "--max-pipeline", "8", "--grace", "60"});
    line_client c(s.port);
    c.send(lines_of("10\n", pipelined));
    s.proc.signal(SIGTERM);
    for (int i = 0; i < pipelined; ++i) {
      INFO(i);
      REQUIRE(c.read_line() == "29");
    }
    CHECK(c.wait_closed());
    CHECK(s.proc.wait() == 0);
  }
}

TEST_CASE("Drain: requests not yet read when SIGTERM arrives are answered", "[drain]") {
  auto s = start_server({"--executor", "inline", "--stats-interval", "0.02", "--grace", "60"});
  line_client c(s.port);
  c.send(long_request);
  REQUIRE(s.proc.wait_for_line("in-flight 1 "));
  // The loop computes: these stay in the kernel's receive queue, unread, past the signal.
  c.send(lines_of("10\n", pipelined));
  s.proc.signal(SIGTERM);
  REQUIRE(c.read_line(long_deadline) == long_answer);
  for (int i = 0; i < pipelined; ++i) REQUIRE(c.read_line() == "29");
  CHECK(c.wait_closed());
  CHECK(s.proc.wait() == 0);
}

TEST_CASE("Drain: connections queued but not accepted when SIGTERM arrives are answered",
          "[drain]") {
  auto s = start_server({"--executor", "inline", "--stats-interval", "0.02", "--grace", "60"});
  line_client busy(s.port);
  busy.send(long_request);
  REQUIRE(s.proc.wait_for_line("in-flight 1 "));
  // The loop computes: the kernel completes these connections and queues them, with their
  // request, on the listening socket; nothing accepts them before the signal.
  std::vector<std::unique_ptr<line_client>> queued;
  for (int i = 0; i < 8; ++i) {
    queued.push_back(std::make_unique<line_client>(s.port));
    queued.back()->send("10\n");
  }
  s.proc.signal(SIGTERM);
  REQUIRE(busy.read_line(long_deadline) == long_answer);
  for (auto& q : queued) {
    CHECK(q->read_line() == "29");
    CHECK(q->wait_closed());
  }
  CHECK(s.proc.wait() == 0);
}

TEST_CASE("Drain: pipelined HTTP requests sent right before SIGTERM are all answered",
          "[drain][http]") {
  auto s = start_server(
      {"--executor", "inline", "--stats-interval", "0.02", "--grace", "60", "--http-port", "0"});
  const auto http_port = read_http_port(s);
  REQUIRE(http_port != 0);
  http_client busy(http_port);
  busy.send_get("/prime/" + std::string(long_n));
  REQUIRE(s.proc.wait_for_line("in-flight 1 "));
  // Unread past the signal, as for the line protocol; a connection still queued too.
  http_client c(http_port);
  constexpr int count = 20;
  std::string requests;
  for (int i = 0; i < count; ++i) requests += "GET /prime/10 HTTP/1.1\r\nHost: t\r\n\r\n";
  c.send(requests);
  s.proc.signal(SIGTERM);
  const auto first = busy.read_response(long_deadline);
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->body == std::string(long_answer) + "\n");
  for (int i = 0; i < count; ++i) {
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "29\n");
  }
  CHECK(c.wait_closed());
  CHECK(s.proc.wait() == 0);
}

// Persistent connections (docs/protocol.md, "Shutdown"): a draining connection ends at a
// request boundary the client can see. Its last reply carries the end of stream in the same
// segment, so a client that has just read it finds the stream ended before it sends again.

TEST_CASE("Drain: a connection idle at SIGTERM answers its next request, and that reply ends it",
          "[drain]") {
  for (const std::string ex : {"inline", "threads"}) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--grace", "60"});
    line_client c(s.port);
    c.send("10\n");
    REQUIRE(c.read_line() == "29");
    // The client is between two requests, as a lockstep client is when its answer has just come;
    // it sends the next once the drain has begun.
    s.proc.signal(SIGTERM);
    REQUIRE(s.proc.wait_for_line("shutting down"));
    c.send("25\n");
    REQUIRE(c.read_line() == "97");
    CHECK(c.ended_now());  // with the reply, not after it
    CHECK(s.proc.wait() == 0);
  }
}

TEST_CASE("Drain: the reply to a request computing at SIGTERM ends the stream with it", "[drain]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0.02", "--grace", "60"});
  line_client c(s.port);
  c.send(long_request);
  REQUIRE(s.proc.wait_for_line("in-flight 1 "));
  s.proc.signal(SIGTERM);
  REQUIRE(c.read_line(long_deadline) == long_answer);
  CHECK(c.ended_now());
  CHECK(s.proc.wait() == 0);
}

TEST_CASE("Drain: an idle keep-alive HTTP connection gets Connection: close on its next response",
          "[drain][http]") {
  auto h = start_http({"--executor", "threads", "--stats-interval", "0", "--grace", "60"});
  auto& s = h.s;
  http_client c(h.http_port);
  const auto first = c.get("/prime/10");
  REQUIRE(first);
  CHECK(first->header("connection") != "close");
  s.proc.signal(SIGTERM);
  REQUIRE(s.proc.wait_for_line("shutting down"));
  const auto last = c.get("/prime/25");
  REQUIRE(last);
  CHECK(last->status == 200);
  CHECK(last->body == "97\n");
  CHECK(last->header("connection") == "close");
  CHECK(c.ended_now());
  CHECK(s.proc.wait() == 0);
}

TEST_CASE(
    "Drain: connections that send nothing after SIGTERM close within a second, however long the "
    "grace",
    "[drain]") {
  // connection::drain_wait: an idle client must not hold the server for the whole --grace.
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--grace", "60"});
  line_client spoke(s.port);
  spoke.send("10\n");
  REQUIRE(spoke.read_line() == "29");
  line_client silent(s.port);
  s.proc.signal(SIGTERM);
  CHECK(spoke.wait_closed(milliseconds{10'000}));
  CHECK(silent.wait_closed(milliseconds{10'000}));
  CHECK(s.proc.wait(milliseconds{10'000}) == 0);
}

TEST_CASE(
    "Drain: a long computation is cut at --drain-delay plus --grace after the signal, on "
    "every executor",
    "[drain]") {
  // Inline cannot run a timer while it computes: its computation reads the signal's time
  // itself, and must count the delay first, as the pools' grace timer does.
  using clock = std::chrono::steady_clock;
  constexpr milliseconds delay_and_grace{1500};
  for (const std::string ex : {"inline", "threads", "processes"}) {
    INFO(ex);
    auto s = start_server(
        {"--executor", ex, "--stats-interval", "0.02", "--drain-delay", "1", "--grace", "0.5"});
    line_client c(s.port);
    c.send("100000\n");  // naive: minutes of CPU
    REQUIRE(s.proc.wait_for_line("in-flight 1 "));
    const auto signalled = clock::now();  // before the signal: the server's clock starts later
    s.proc.signal(SIGTERM);
    const auto reply = c.read_line();
    const auto took = clock::now() - signalled;
    REQUIRE(reply);
    CHECK(reply->rfind("ERR shutting down", 0) == 0);
    CHECK(took >= delay_and_grace);
    CHECK(took < delay_and_grace + milliseconds{1500});
    CHECK(s.proc.wait() == 0);
  }
}
