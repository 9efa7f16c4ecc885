// The HTTP face at its limits, end to end: past --max-connections liveness (/healthz) still
// says the process works while readiness (/readyz) and everything else say 503; and a client
// held back by --max-pipeline that leaves is noticed, as on the line port.
#include <string>

#include <catch2/catch.hpp>

#include "http_client.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

TEST_CASE(
    "Past --max-connections, line and HTTP connections together, HTTP gets 503, but /healthz "
    "still says the process works",
    "[http]") {
  auto h = start_http({"--stats-interval", "0", "--max-connections", "1"});
  line_client line(h.s.port);
  line.send("10\n");
  CHECK(line.read_line() == "29");  // accepted, and counted
  // Liveness: the process works, full or not. Readiness: it takes no more.
  const auto live = http_get(h.http_port, "/healthz");
  REQUIRE(live);
  CHECK(live->status == 200);
  CHECK(live->header("connection") == "close");
  const auto ready = http_get(h.http_port, "/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 503);
  CHECK(ready->body == "not ready: too many connections\n");
  const auto work = http_get(h.http_port, "/prime/10");
  REQUIRE(work);
  CHECK(work->status == 503);
  CHECK(work->header("retry-after") == "1");
  // A probe's connection answers one request and closes: it holds no room.
  http_client probe(h.http_port);
  const auto once = probe.get("/healthz");
  REQUIRE(once);
  CHECK(once->status == 200);
  CHECK(probe.wait_closed());
  // The line port past the limit: refused as before.
  line_client refused(h.s.port);
  CHECK(refused.read_line() == "ERR too many connections, try again later");
}

TEST_CASE("/readyz says 503 on a connection of its own while the server is at --max-connections",
          "[http]") {
  auto h = start_http({"--stats-interval", "0", "--max-connections", "2"});
  http_client keep(h.http_port);
  const auto first = keep.get("/readyz");
  REQUIRE(first);
  CHECK(first->status == 200);  // one connection of two
  line_client line(h.s.port);
  line.send("10\n");
  CHECK(line.read_line() == "29");
  const auto full = keep.get("/readyz");
  REQUIRE(full);
  CHECK(full->status == 503);
  CHECK(keep.get("/healthz")->status == 200);
}

TEST_CASE("An HTTP client held back by the pipeline limit that closes frees the worker",
          "[http][eof]") {
  // As on the line port: the connection is not being read, and looks past the unread requests
  // for its client's end of stream (POLLRDHUP) once no response has gone out for 100 ms.
  auto h = start_http({"--executor", "threads", "--stats-interval", "0.02", "--workers", "1",
                       "--max-pipeline", "4"});
  {
    http_client c(h.http_port);
    std::string costly;
    for (int i = 0; i < 8; ++i) costly += "GET /prime/100000 HTTP/1.1\r\nHost: t\r\n\r\n";
    c.send(costly);  // 4 dispatched, 4 left unread
    REQUIRE(h.s.proc.wait_for_line("in-flight 4 queued 3 busy 1/1"));
  }  // closed with requests the server has not read
  CHECK(h.s.proc.wait_for_line("in-flight 0 queued 0 busy 0/1"));
}
