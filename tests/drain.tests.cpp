// The drain on SIGTERM loses no request the kernel had already taken (docs/protocol.md,
// "Shutdown"): requests received but not read yet, and connections completed but not accepted
// yet, are all answered before the server exits. Both faces, on 127.0.0.1 port 0.
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

/// The loop's long computation, naive workload: n = 20000 is seconds of CPU in a release build.
/// Sanitizer builds compute about ten times slower (n = 20000 took 40 s under ASan on a loaded
/// machine), so they ask n = 5000, seconds there too.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::string_view long_n = "5000";
constexpr std::string_view long_answer = "48611";
#else
constexpr std::string_view long_n = "20000";
constexpr std::string_view long_answer = "224737";
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
