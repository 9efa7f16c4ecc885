// Bad input and overload (docs/protocol.md), end to end: the real primeloop-server on
// 127.0.0.1 port 0. Every bad input of the protocol's table and every limit, each time checking
// that another client is still served. Waits are on events (a reply, a stats line, a closed
// socket, a full socket buffer), each with a deadline; nothing sleeps for a fixed time.
#include <catch2/catch.hpp>

#include "limits_support.hpp"

using namespace primeloop::test;
using namespace primeloop::test::limits;

TEST_CASE("The idle timeout closes silent connections, not busy ones", "[limits][idle]") {
  // One second: a loaded machine (or a sanitizer build) may stall the client for a few hundred
  // milliseconds between two sends, which must not look like silence.
  const milliseconds idle{1000};
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--idle-timeout", "1"});

  SECTION("half a line after a whole request, then silence: ERR idle timeout, closed") {
    line_client c(s.port);
    const auto start = clock::now();  // before the send: the server's clock starts after it
    c.send("10\n12");
    REQUIRE(c.read_line() == "29");
    CHECK(starts_with(c.read_line(), err_idle));  // "12" is never taken as a request
    CHECK(c.wait_closed());
    CHECK(clock::now() - start >= idle);
  }
  SECTION("a fresh connection that sends a number and waits is a bare client: answered") {
    line_client c(s.port);
    c.send("12");
    CHECK(c.read_line() == "37");
    // Then it is silent, and the idle timeout applies as to anyone.
    CHECK(starts_with(c.read_line(), err_idle));
    CHECK(c.wait_closed());
  }
  SECTION("connect and send nothing: closed after the timeout") {
    const auto start = clock::now();
    line_client c(s.port);
    CHECK(starts_with(c.read_line(), err_idle));
    CHECK(c.wait_closed());
    CHECK(clock::now() - start >= idle);
  }
  SECTION("a client waiting for a long computation is not idle") {
    line_client c(s.port);
    c.send("20000\n");  // naive: longer than the timeout
    CHECK(c.read_line(computation_deadline) == "224737");
  }
  SECTION("a client that keeps sending is never idle") {
    line_client c(s.port);
    const auto until = clock::now() + 3 * idle;
    while (clock::now() < until) {
      c.send("3\n");
      REQUIRE(c.read_line() == "5");
      // A stretch of silence shorter than the timeout, timed by the server's own silence.
      CHECK(stays_silent(c, idle / 4));
    }
  }
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("10,000 pipelined requests in one write get 10,000 answers in order",
          "[limits][pipeline]") {
  constexpr std::size_t count = 10'000;
  const auto primes = first_primes(500);
  std::string requests;
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t n = 1 + (i * 7919) % primes.size();  // cheap ones: the point is the order
    requests += std::to_string(n) + (i % 2 == 0 ? "\n" : "\r\n");
    expected.push_back(std::to_string(primes[n - 1]));
  }
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--workload", "trial"});
    line_client c(s.port);
    line_client other(s.port);
    // The whole batch is handed to the kernel at once; replies are read while it drains.
    const auto replies = exchange(c.fd(), requests, count);
    REQUIRE(replies.size() == count);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < count; ++i) wrong += replies[i] != expected[i] ? 1U : 0U;
    CHECK(wrong == 0);
    other.send("10\n");
    CHECK(other.read_line() == "29");
  }
}

TEST_CASE("A client that never reads is stopped, stays bounded, then is closed",
          "[limits][pipeline][slow-reader]") {
  // A small --send-buffer: the kernel holds little for the client, so the test needs little time
  // to fill it (the default, 64 KiB, behaves the same, a few seconds later).
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--max-pipeline", "64",
                         "--idle-timeout", "0.5", "--send-buffer", "8192", "--workload", "trial"});
  line_client other(s.port);
  other.send("1\n");
  REQUIRE(other.read_line() == "2");
  const auto rss_before = rss_kib(s.proc.pid());

  // A small receive buffer too: the replies fill it after a few thousand requests. With the
  // kernel's default the client's window grows to megabytes, the server reads and answers
  // hundreds of thousands of requests before nothing moves, and how long that takes depends
  // on the build (seconds under a sanitizer) rather than on the server's design.
  line_client c(s.port, 4096);
  std::string chunk;
  for (int i = 0; i < 4096; ++i) chunk += "1000\n";
  // Send until the socket stays full: the server stopped reading. A server that read on would
  // take everything (and buffer the replies) and this loop would hit its byte cap.
  std::size_t sent = 0;
  constexpr std::size_t cap = std::size_t{256} << 20;
  bool stopped = false;
  const auto until = clock::now() + default_deadline;
  while (sent < cap && clock::now() < until) {
    const auto n = send_some(c.fd(), chunk);
    sent += n;
    if (n == 0) {
      pollfd p{c.fd(), POLLOUT, 0};
      // Writable again within 200 ms means the server still drains; otherwise it stopped.
      if (::poll(&p, 1, 200) == 0) {
        stopped = true;
        break;
      }
    }
  }
  INFO("client sent " << sent << " bytes");
  CHECK(stopped);
  const auto rss_stuck = rss_kib(s.proc.pid());
  INFO("server RSS " << rss_before << " KiB -> " << rss_stuck << " KiB");
  CHECK(rss_stuck < rss_before + 4096);
  // Others are served meanwhile.
  for (int i = 0; i < 5; ++i) {
    other.send("10\n");
    CHECK(other.read_line() == "29");
  }
  // Nothing moves on the stuck connection: the idle timeout closes it. Watched without reading
  // (reading would make it move again), while the other client is served all along.
  bool closed = false;
  for (const auto until2 = clock::now() + default_deadline; !closed && clock::now() < until2;) {
    pollfd p{c.fd(), POLLRDHUP, 0};
    closed = ::poll(&p, 1, 100) > 0;
    other.send("10\n");
    REQUIRE(other.read_line() == "29");
  }
  CHECK(closed);
  CHECK(c.wait_closed());
}

TEST_CASE("Pipelined requests per connection are bounded by --max-pipeline", "[limits][pipeline]") {
  auto s = start_server({"--executor", "threads", "--workers", "1", "--max-pipeline", "4",
                         "--stats-interval", "0.02"});
  line_client c(s.port);
  std::string twenty;
  for (int i = 0; i < 20; ++i) twenty += "20000\n";  // naive: seconds each
  c.send(twenty);
  // One computing, three queued: then the connection is not read any more.
  REQUIRE(s.proc.wait_for_line("in-flight 4 queued 3 busy 1/1"));
  // The next stats lines: never more than 4 taken from this connection.
  for (int i = 0; i < 10; ++i) {
    const auto line = s.proc.wait_for_line("stats: ");
    REQUIRE(line);
    CHECK(stats_field(*line, "in-flight") <= 4);
  }
  // The loop still reads and answers others (the one worker is busy: an error needs none).
  line_client other(s.port);
  other.send("x\n");
  CHECK(starts_with(other.read_line(), err_nan));
}

TEST_CASE("Past --queue-limit requests get ERR busy at once", "[limits][overload]") {
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--workers", "1", "--queue-limit", "1",
                           "--stats-interval", "0.02", "--offload-above",
                           "0"});  // every request, however cheap, through the queue
    line_client running(s.port);
    running.send("20000\n");  // naive: seconds of CPU
    REQUIRE(s.proc.wait_for_line("busy 1/1"));
    line_client queued(s.port);
    queued.send("20000\n");
    REQUIRE(s.proc.wait_for_line("queued 1 "));

    line_client c(s.port);
    c.send("10\n");
    CHECK(starts_with(c.read_line(), err_busy));
    CHECK(stays_silent(running, 0ms));  // refused at once, not after the long one
    // The connection lives on: once the queue has room, the same request is answered.
    reset(running);  // cancels both computations
    reset(queued);
    REQUIRE(s.proc.wait_for_line("queued 0 busy 0/1"));
    c.send("10\n");
    CHECK(c.read_line() == "29");
  }
}

TEST_CASE("Past --max-connections a new connection gets ERR and is closed", "[limits][overload]") {
  auto s =
      start_server({"--executor", "threads", "--max-connections", "3", "--stats-interval", "0.02"});
  std::vector<std::unique_ptr<line_client>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<line_client>(s.port));
    held.back()->send("1\n");
    REQUIRE(held.back()->read_line() == "2");
  }
  SECTION("a client that waits") {
    line_client extra(s.port);
    CHECK(extra.read_line() == "ERR too many connections, try again later");
    CHECK(extra.wait_closed());
  }
  SECTION("a client that sends a request at once still reads why") {
    line_client extra(s.port);
    extra.send("10\n");
    CHECK(extra.read_line() == "ERR too many connections, try again later");
    CHECK(extra.wait_closed());
  }
  // The connections held are unaffected.
  for (auto& c : held) {
    c->send("10\n");
    CHECK(c->read_line() == "29");
  }
  // One leaves: there is room again.
  held.front()->close();
  REQUIRE(s.proc.wait_for_line("connections 2 "));
  line_client next(s.port);
  next.send("10\n");
  CHECK(next.read_line() == "29");
}
