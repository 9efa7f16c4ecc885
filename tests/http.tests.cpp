// The HTTP face end to end (docs/protocol.md, "The HTTP face"): primeloop-server with
// --http-port 0 on 127.0.0.1, every status it answers, keep-alive and pipelining, the health
// checks of a frozen and of a free loop, /metrics read by Prometheus' own parser, and the drain.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http_client.hpp"
#include "prometheus_text.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

namespace {

/// The process's resident memory in KiB, from /proc/PID/status.
std::size_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

}  // namespace

TEST_CASE("The HTTP face prints its port and answers /prime/N like the line protocol", "[http]") {
  auto h = start_http({"--stats-interval", "0"});
  CHECK(h.s.proc.lines().back().rfind("http listening on 127.0.0.1:", 0) == 0);
  const auto ok = http_get(h.http_port, "/prime/10");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "29\n");
  CHECK(ok->header("content-type").rfind("text/plain", 0) == 0);
  // A bad n: 400 with the line protocol's own reason, without "ERR ".
  for (const auto& [n, line] : std::vector<std::pair<std::string, std::string>>{
           {"abc", "abc\n"}, {"0", "0\n"}, {"999999999999", "999999999999\n"}, {"", "\n"}}) {
    INFO(n);
    const auto bad = http_get(h.http_port, "/prime/" + n);
    REQUIRE(bad);
    CHECK(bad->status == 400);
    const auto err = ask(h.s.port, line);
    REQUIRE(err);
    CHECK("ERR " + bad->body == *err + "\n");
  }
}

TEST_CASE("The HTTP face answers unknown paths, other methods, versions and bad heads", "[http]") {
  auto h = start_http({"--stats-interval", "0"});
  CHECK(http_get(h.http_port, "/nope")->status == 404);
  const auto raw = [&](const std::string& request) {
    http_client c(h.http_port);
    c.send(request);
    auto r = c.read_response();
    REQUIRE(r);
    return *r;
  };
  const auto post = raw("POST /prime/10 HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(post.status == 405);
  CHECK(post.header("allow") == "GET, HEAD, OPTIONS");
  CHECK(raw("GET /prime/10 HTTP/2.0\r\nHost: a\r\n\r\n").status == 505);
  CHECK(raw("GET /prime/10 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc").status == 413);
  CHECK(raw("GET  /prime/10 HTTP/1.1\r\nHost: a\r\n\r\n").status == 400);
  CHECK(raw("GET /prime/10 HTTP/1.1\r\nHost: a\r\nX: " + std::string(9000, 'x') + "\r\n\r\n")
            .status == 431);
  // A refused head closes the connection: what follows it cannot be trusted.
  http_client c(h.http_port);
  c.send("BAD\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->header("connection") == "close");
  CHECK(c.wait_closed());
}

TEST_CASE("HEAD is answered for every GET resource with its head alone, and what follows parses",
          "[http]") {
  auto h = start_http({"--stats-interval", "0"});
  http_client c(h.http_port);
  const auto head = [](std::string_view target) {
    return "HEAD " + std::string(target) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  };
  // A strict client: a HEAD response ends at its empty line, so any body would be read as the
  // next status line, and that response would not parse.
  c.send(head("/prime/10") + "GET /prime/10 HTTP/1.1\r\nHost: a\r\n\r\n" + head("/metrics") +
         head("/nowhere") + "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  const auto r1 = c.read_response(default_deadline, true);
  REQUIRE(r1);
  CHECK(r1->status == 200);
  CHECK(r1->header("content-length") == "3");
  const auto r2 = c.read_response();
  REQUIRE(r2);
  CHECK(r2->status == 200);
  CHECK(r2->body == "29\n");
  const auto r3 = c.read_response(default_deadline, true);
  REQUIRE(r3);
  CHECK(r3->status == 200);
  CHECK(std::stoul(r3->header("content-length")) > 0);
  const auto r4 = c.read_response(default_deadline, true);
  REQUIRE(r4);
  CHECK(r4->status == 404);
  const auto r5 = c.read_response();
  REQUIRE(r5);
  CHECK(r5->body == "ok\n");
  // OPTIONS * and an absolute-form target, as a client talking to a proxy sends it.
  c.send("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET http://a/prime/10 HTTP/1.1\r\nHost: a\r\n\r\n");
  const auto r6 = c.read_response();
  REQUIRE(r6);
  CHECK(r6->status == 200);
  CHECK(r6->header("allow") == "GET, HEAD, OPTIONS");
  const auto r7 = c.read_response();
  REQUIRE(r7);
  CHECK(r7->body == "29\n");
}

TEST_CASE("The HTTP face keeps connections alive and answers pipelined requests in order",
          "[http]") {
  auto h = start_http({"--stats-interval", "0", "--offload-above", "0"});
  http_client c(h.http_port);
  // A slow one first: the quick ones behind it wait for it, in order.
  c.send(
      "GET /prime/5000 HTTP/1.1\r\nHost: a\r\n\r\nGET /prime/1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /prime/abc HTTP/1.1\r\nHost: a\r\n\r\n");
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    const auto r = c.read_response();
    REQUIRE(r);
    bodies.push_back(r->body);
  }
  CHECK(bodies[0] == "48611\n");
  CHECK(bodies[1] == "2\n");
  CHECK(bodies[2] == "ok\n");
  CHECK(bodies[3].rfind("not a number", 0) == 0);
  // Still open: another request on the same connection.
  CHECK(c.get("/prime/3")->body == "5\n");
  // Connection: close is honoured after its response.
  c.send_get("/prime/4", "Connection: close\r\n");
  const auto last = c.read_response();
  REQUIRE(last);
  CHECK(last->body == "7\n");
  CHECK(last->header("connection") == "close");
  CHECK(c.wait_closed());
  // HTTP/1.0 closes unless asked to keep the connection.
  http_client old(h.http_port);
  old.send("GET /prime/5 HTTP/1.0\r\n\r\n");
  CHECK(old.read_response()->body == "11\n");
  CHECK(old.wait_closed());
  http_client kept(h.http_port);
  kept.send("GET /prime/5 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(kept.read_response()->header("connection") == "keep-alive");
  kept.send("GET /prime/6 HTTP/1.0\r\n\r\n");
  CHECK(kept.read_response()->body == "13\n");
}

TEST_CASE("The HTTP face answers busy with 503 and Retry-After, and a timeout with 504", "[http]") {
  // One worker, a connection may hold two requests: the third of three long ones is refused.
  auto h = start_http({"--stats-interval", "0", "--workers", "1", "--queue-limit", "2",
                       "--offload-above", "0", "--request-timeout", "1"});
  http_client c(h.http_port);
  c.send(
      "GET /prime/100000000 HTTP/1.1\r\nHost: a\r\n\r\nGET /prime/100000000 HTTP/1.1\r\nHost: "
      "a\r\n\r\nGET /prime/100000000 HTTP/1.1\r\nHost: a\r\n\r\n");
  std::vector<int> statuses;
  std::string retry;
  for (int i = 0; i < 3; ++i) {
    const auto r = c.read_response();
    REQUIRE(r);
    statuses.push_back(r->status);
    if (r->status == 503) retry = r->header("retry-after");
  }
  CHECK(statuses == std::vector<int>{504, 504, 503});
  CHECK(retry == "1");
}

TEST_CASE("A loop frozen by an inline request fails /healthz, while a threads server answers it",
          "[http]") {
  for (const std::string ex : {"inline", "threads"}) {
    INFO(ex);
    auto h = start_http({"--executor", ex, "--stats-interval", "0.05", "--offload-above", "0",
                         "--request-timeout", "4"});
    line_client line(h.s.port);
    line.send("100000000\n");
    REQUIRE(h.s.proc.wait_for_line("in-flight 1"));
    const auto health =
        http_get(h.http_port, "/healthz", ex == "inline" ? 1000ms : default_deadline);
    if (ex == "inline") {
      CHECK_FALSE(health.has_value());
    } else {
      REQUIRE(health);
      CHECK(health->status == 200);
      CHECK(http_get(h.http_port, "/readyz")->status == 200);
    }
  }
}

TEST_CASE("/metrics reads as Prometheus text with the counts of both protocols", "[http]") {
  auto h = start_http({"--stats-interval", "0", "--workload", "sieve"});
  for (int i = 1; i <= 5; ++i) CHECK(http_get(h.http_port, "/prime/" + std::to_string(i)));
  for (int i = 1; i <= 3; ++i) CHECK(ask(h.s.port, std::to_string(i) + "\n"));
  CHECK(ask(h.s.port, "x\n"));
  http_client kept(h.http_port);  // one HTTP connection open while /metrics is read
  REQUIRE(kept.get("/healthz"));
  const auto r = http_get(h.http_port, "/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
  const auto m = parse_with_prometheus(r->body);
  CHECK(m.at("primeloop_requests_total{outcome=answered}") == 8);
  CHECK(m.at("primeloop_requests_total{outcome=not_a_number}") == 1);
  CHECK(m.at("primeloop_requests_total{outcome=busy}") == 0);
  CHECK(m.at("primeloop_request_duration_seconds_count{}") == 8);
  CHECK(m.at("primeloop_request_duration_seconds_bucket{le=+Inf}") == 8);
  CHECK(m.at("primeloop_request_duration_seconds_sum{}") > 0);
  CHECK(m.at("primeloop_open_connections{protocol=http}") == 2);
  CHECK(m.at("primeloop_open_connections{protocol=line}") == 0);
  CHECK(m.at("primeloop_in_flight_requests{}") == 0);
  CHECK(m.contains("primeloop_worker_crashes_total{}"));
  CHECK(m.contains("primeloop_worker_cancel_kills_total{}"));
  CHECK(m.at("primeloop_build_info{executor=threads+adaptive,version=0.1.0,workload=sieve}") == 1);
  // The loop's lag and the process, under the names Prometheus' client libraries use.
  CHECK(m.contains("primeloop_loop_lag_seconds_bucket{le=0.0001}"));
  CHECK(m.contains("primeloop_loop_lag_seconds_bucket{le=30}"));
  CHECK(m.at("primeloop_loop_lag_seconds_bucket{le=+Inf}") ==
        m.at("primeloop_loop_lag_seconds_count{}"));
  CHECK(m.at("process_cpu_seconds_total{}") >= 0);  // in clock ticks: 0 for a new server
  CHECK(m.at("process_resident_memory_bytes{}") > 0);
  CHECK(m.at("process_open_fds{}") > 0);
  CHECK(m.at("process_max_fds{}") >= m.at("process_open_fds{}"));
  CHECK(m.at("process_start_time_seconds{}") > 1e9);
}

TEST_CASE("The loop's lag in /metrics shows an inline long request, and not a threads one",
          "[http]") {
  // Figures relative to the long request's duration as this test measures it, not thresholds:
  // inline, the loop stood still for most of it; threads, never for half of it.
  for (const std::string ex : {"inline", "threads"}) {
    INFO(ex);
    auto h = start_http({"--executor", ex, "--stats-interval", "0", "--offload-above", "0"});
    const auto sent = std::chrono::steady_clock::now();
    REQUIRE(ask(h.s.port, "10000\n"));
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    INFO("the long request took " << took << " s");
    const auto r = http_get(h.http_port, "/metrics");
    REQUIRE(r);
    const auto m = parse_with_prometheus(r->body);
    const double count = m.at("primeloop_loop_lag_seconds_count{}");
    REQUIRE(count > 0);
    // The largest bucket bound at or under a fraction of the request's duration, and the share
    // of ticks at or under it.
    const auto share_under = [&](double limit) {
      double bound = 0.0001;
      for (const double b : {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                             0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0}) {
        if (b <= limit) bound = b;
      }
      std::ostringstream key;
      key << "primeloop_loop_lag_seconds_bucket{le=" << bound << "}";
      INFO(key.str());
      return m.at(key.str()) / count;
    };
    if (ex == "inline") {
      CHECK(share_under(took / 2) < 1);  // some tick was later than half the request's time
    } else {
      // The loop never stood still for half of it. (Its p99, well under a millisecond on an idle
      // machine, is measured in docs/lessons.md rather than asserted: on a loaded machine the
      // scheduler's delays alone reach tens of milliseconds.)
      CHECK(share_under(took / 2) == 1);
    }
  }
}

TEST_CASE("SIGTERM turns /readyz to 503 at once, and the listeners close after --drain-delay",
          "[http]") {
  auto h = start_http({"--stats-interval", "0", "--drain-delay", "1"});
  http_client kept(h.http_port);
  CHECK(kept.get("/readyz")->status == 200);
  h.s.proc.signal(SIGTERM);
  REQUIRE(h.s.proc.wait_for_line("not ready"));
  const auto r = kept.get("/readyz");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(kept.get("/healthz")->status == 200);
  // The line protocol still takes new connections until the delay has passed.
  CHECK(ask(h.s.port, "10\n") == "29");
  REQUIRE(h.s.proc.wait_for_line("shutting down"));
  CHECK(kept.wait_closed());
  CHECK(h.s.proc.wait() == 0);
}

TEST_CASE("HTTP clients that pipeline large pages and never read hold little memory each",
          "[http][slow-reader]") {
  auto h = start_http({"--stats-interval", "0"});
  REQUIRE(http_get(h.http_port, "/metrics")->status == 200);
  const auto rss_before = rss_kib(h.s.proc.pid());
  std::string burst;
  for (int i = 0; i < 3000; ++i) burst += "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
  // 40 clients with a 4 KiB receive buffer each send 3000 requests for /metrics and read
  // nothing: each sends until its socket stays full (the server stopped reading it).
  std::vector<std::unique_ptr<line_client>> clients;
  for (int i = 0; i < 40; ++i) clients.push_back(std::make_unique<line_client>(h.http_port, 4096));
  for (auto& c : clients) ::fcntl(c->fd(), F_SETFL, ::fcntl(c->fd(), F_GETFL) | O_NONBLOCK);
  std::vector<std::size_t> sent(clients.size(), 0);
  const auto until = std::chrono::steady_clock::now() + default_deadline;
  for (bool moving = true; moving && std::chrono::steady_clock::now() < until;) {
    moving = false;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      const auto n =
          ::send(clients[i]->fd(), burst.data() + sent[i], burst.size() - sent[i], MSG_NOSIGNAL);
      if (n > 0) sent[i] += static_cast<std::size_t>(n);
      if (sent[i] < burst.size()) {
        pollfd p{clients[i]->fd(), POLLOUT, 0};
        // Writable again within 200 ms: the server still reads this one.
        if (::poll(&p, 1, 200) > 0) moving = true;
      }
    }
  }
  // The kernel's buffers took the bursts; the server reads them until each connection is held
  // back. The most it holds meanwhile, sampled while /healthz is answered on the side.
  std::size_t rss_stuck = 0;
  for (int i = 0; i < 15; ++i) {
    rss_stuck = std::max(rss_stuck, rss_kib(h.s.proc.pid()));
    REQUIRE(http_get(h.http_port, "/healthz", std::chrono::milliseconds(2000)));
    pollfd none{-1, 0, 0};
    ::poll(&none, 1, 200);
  }
  INFO("server RSS " << rss_before << " KiB -> " << rss_stuck << " KiB with 40 stuck clients");
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // A sanitizer's memory is in RSS too: AddressSanitizer keeps freed blocks in a quarantine
  // (256 MB by default) to catch a use after free, and ThreadSanitizer maps shadow memory
  // several times the size of every byte touched (21 -> 52 MB here, where a release build stays
  // under 10 MB): RSS measures the sanitizer, not what the connections hold. The release suite
  // checks the bound.
  WARN("server RSS " << rss_before << " KiB -> " << rss_stuck
                     << " KiB under a sanitizer, not checked");
#else
  CHECK(rss_stuck < rss_before + 40 * 256);
#endif
  // Liveness meanwhile, on a connection of its own.
  const auto health = http_get(h.http_port, "/healthz", std::chrono::milliseconds(2000));
  REQUIRE(health);
  CHECK(health->status == 200);
  clients.clear();
  // Gone: the server still answers, and holds no more than it did while they were stuck.
  REQUIRE(http_get(h.http_port, "/healthz"));
  const auto rss_after = rss_kib(h.s.proc.pid());
  INFO("server RSS after they left " << rss_after << " KiB");
  CHECK(rss_after <= rss_stuck + 1024);
}
