// The load client's histogram, primeloop-client's argument handling and exit statuses, and the
// load generator driven in-process against the real server.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "clients/cost_hint.hpp"
#include "clients/latency_histogram.hpp"
#include "clients/load_generator.hpp"
#include "clients/report.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
using primeloop::clients::latency_histogram;
using primeloop::clients::output_format;

namespace {

/// Runs primeloop-client with args; returns its exit status and everything it printed.
std::pair<int, std::string> run_client(std::vector<std::string> args) {
  args.insert(args.begin(), bin("primeloop-client"));
  child_process p(std::move(args));
  auto out = p.read_all();
  const auto status = p.wait();
  REQUIRE(status);
  return {*status, out};
}

/// A port where nothing listens: bound by the kernel, then released.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("The latency histogram reports percentiles within its bucket precision", "[histogram]") {
  latency_histogram h;
  CHECK(h.percentile(0.5).count() == 0);
  CHECK(h.max().count() == 0);
  for (std::int64_t us = 1; us <= 10'000; ++us) h.record(std::chrono::microseconds{us});
  CHECK(h.count() == 10'000);
  CHECK(h.max() == std::chrono::microseconds{10'000});
  CHECK(h.min() == std::chrono::microseconds{1});
  const auto near = [](std::chrono::nanoseconds got, double want_us) {
    return std::abs(static_cast<double>(got.count()) / 1e3 - want_us) <= want_us / 30;
  };
  CHECK(near(h.percentile(0.5), 5'000));
  CHECK(near(h.percentile(0.99), 9'900));
  CHECK(h.percentile(1.0) == h.max());
  CHECK(near(h.mean(), 5'000.5));

  latency_histogram other;
  other.record(std::chrono::seconds{3});
  h.merge(other);
  CHECK(h.count() == 10'001);
  CHECK(h.max() == std::chrono::seconds{3});
}

TEST_CASE("Histogram buckets are contiguous and each value lies in its own", "[histogram]") {
  for (std::uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 1000ull, 123456789ull, 1ull << 40}) {
    INFO(v);
    const auto b = latency_histogram::bucket_of(v);
    CHECK(latency_histogram::highest_in(b) >= v);
    if (b > 0) CHECK(latency_histogram::highest_in(b - 1) < v);
  }
  CHECK(latency_histogram::bucket_of(~0ull) == latency_histogram::bucket_count - 1);
}

TEST_CASE("primeloop-client without n or load flags says what it needs", "[client]") {
  const auto [status, out] = run_client({"--port", "1"});
  CHECK(status != 0);
  CHECK_THAT(out, Catch::Contains("n values"));
}

TEST_CASE("primeloop-client rejects an unknown flag", "[client]") {
  const auto [status, out] = run_client({"--port", "1", "--bogus", "10"});
  CHECK(status != 0);
  CHECK_THAT(out, Catch::Contains("--bogus"));
}

TEST_CASE("primeloop-client rejects one-shot and load flags together", "[client]") {
  const auto [status, out] = run_client({"--port", "1", "--duration", "1", "10"});
  CHECK(status != 0);
  CHECK_THAT(out, Catch::Contains("not both"));
}

TEST_CASE("primeloop-client fails clearly when no server listens", "[client]") {
  const auto port = std::to_string(closed_port());
  for (const auto& mode : std::vector<std::vector<std::string>>{{"10"}, {"--duration", "1"}}) {
    std::vector<std::string> args{"--port", port};
    args.insert(args.end(), mode.begin(), mode.end());
    const auto [status, out] = run_client(args);
    CHECK(status == 1);
    CHECK_THAT(out, Catch::Contains("cannot connect to 127.0.0.1:" + port));
  }
}

TEST_CASE("primeloop-client asks for several n and prints one answer a line", "[client]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});
  const auto [status, out] = run_client({"--port", std::to_string(s.port), "1", "10", "10000"});
  CHECK(status == 0);
  CHECK(out == "2\n29\n104729\n");
}

TEST_CASE("primeloop-client exits non-zero when the server answers ERR", "[client]") {
  auto s = start_server({"--executor", "inline", "--stats-interval", "0"});
  const auto [status, out] = run_client({"--port", std::to_string(s.port), "10", "0"});
  CHECK(status == 1);
  CHECK_THAT(out, Catch::StartsWith("29\n"));
  CHECK_THAT(out, Catch::Contains("ERR"));
}

TEST_CASE("primeloop-client load mode prints each second and a JSON summary", "[client]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--workload", "trial"});
  const auto [status, out] =
      run_client({"--port", std::to_string(s.port), "--connections", "4", "--depth", "2",
                  "--duration", "1", "--long-n", "1000", "--long-after", "0", "--json"});
  CHECK(status == 0);
  CHECK_THAT(out, Catch::StartsWith("{\"type\":\"second\",\"second\":1,"));
  CHECK_THAT(out, Catch::Contains("{\"type\":\"summary\",\"connections\":4,\"depth\":2,"));
  CHECK_THAT(out, Catch::Contains("\"errors\":0"));
  CHECK_THAT(out, !Catch::Contains("\"total\":0,"));
  CHECK_THAT(out, !Catch::Contains("\"long_completed\":0,"));
}

TEST_CASE("The load generator runs in-process on the caller's io_context", "[client]") {
  auto s = start_server({"--executor", "inline", "--stats-interval", "0"});
  primeloop::clients::load_config config;
  config.port = s.port;
  config.connections = 3;
  config.duration_s = 1;
  std::vector<unsigned> seen;
  primeloop::clients::load_result result;
  std::exception_ptr failure;
  asio::io_context io;
  asio::co_spawn(io,
                 primeloop::clients::run_load(
                     config, [&](const auto& sample) { seen.push_back(sample.second); }),
                 [&](std::exception_ptr e, primeloop::clients::load_result r) {
                   failure = e;
                   result = std::move(r);
                 });
  io.run();
  REQUIRE_FALSE(failure);
  CHECK(seen == std::vector<unsigned>{1});
  REQUIRE(result.seconds.size() == 1);
  CHECK(result.completed > 0);
  CHECK(result.completed == result.seconds[0].completed);
  CHECK(result.total.count() == result.completed);
  CHECK(result.errors == 0);
  CHECK(result.connection_failures == 0);
}

TEST_CASE("Requests waiting longer than every answer count as lower bounds", "[histogram]") {
  using std::chrono::milliseconds;
  latency_histogram answered;
  for (int i = 0; i < 10; ++i) answered.record(std::chrono::microseconds{50});
  // In flight, younger than the slowest answer: left out, the figures stay exact.
  const std::vector<std::chrono::nanoseconds> in_flight{std::chrono::microseconds{20}};
  const auto flowing = primeloop::clients::figures_with_waiting(answered, in_flight);
  CHECK(flowing.waiting == 0);
  CHECK_FALSE(flowing.p99_lower_bound);
  CHECK_FALSE(flowing.max_lower_bound);
  // Two stuck for 2 s among ten answers: p50 is exact, p99 and max are at least 2 s.
  const std::vector<std::chrono::nanoseconds> stuck{milliseconds{2000}, milliseconds{2100}};
  const auto frozen = primeloop::clients::figures_with_waiting(answered, stuck);
  CHECK(frozen.answered == 10);
  CHECK(frozen.waiting == 2);
  CHECK_FALSE(frozen.p50_lower_bound);
  CHECK(frozen.p99_lower_bound);
  CHECK(frozen.p99 >= milliseconds{2000});
  CHECK(frozen.max_lower_bound);
  CHECK(frozen.max == milliseconds{2100});
  CHECK(primeloop::clients::figures_with_waiting({}, {}).empty());
}

TEST_CASE("A second's line shows lower bounds with >= and no figure as -", "[client]") {
  primeloop::clients::second_sample frozen;
  frozen.second = 4;
  frozen.stuck = 16;
  frozen.p50 = frozen.p99 = frozen.max = std::chrono::seconds{3};
  frozen.p50_lower_bound = frozen.p99_lower_bound = frozen.max_lower_bound = true;
  const auto text = format_second(frozen, output_format::text);
  CHECK_THAT(text, Catch::Contains("p99 >= 3.00 s"));
  CHECK_THAT(text, Catch::Contains("16 unanswered"));
  const auto json = format_second(frozen, output_format::json);
  CHECK_THAT(json, Catch::Contains("\"p99_us\":3000000.0,"));
  CHECK_THAT(json, Catch::Contains("\"p99_lower_bound\":true,"));

  primeloop::clients::second_sample empty;
  empty.second = 5;
  CHECK_THAT(format_second(empty, output_format::text),
             Catch::Contains("0 req  p50         -  p99         -"));
  CHECK_THAT(format_second(empty, output_format::json), Catch::Contains("\"p99_us\":null,"));
  const auto header = format_header(output_format::csv);
  const auto row = format_second(empty, output_format::csv);
  CHECK(std::count(header.begin(), header.end(), ',') == std::count(row.begin(), row.end(), ','));
  CHECK_THAT(header, Catch::Contains("p99_lower_bound"));
}

TEST_CASE("Load mode against a frozen inline server reports its wait as a lower bound",
          "[client]") {
  // naive n = 100000 takes minutes: the server stays frozen until the end of the run.
  auto s = start_server(
      {"--executor", "inline", "--stats-interval", "0", "--workload", "naive", "--grace", "0"});
  child_process client({bin("primeloop-client"), "--port", std::to_string(s.port), "--connections",
                        "2", "--duration", "3", "--long-n", "100000", "--long-after", "0.5",
                        "--json"});
  const auto out = client.read_all();
  const auto status = client.wait();
  REQUIRE(status);
  CHECK(*status == 0);
  INFO(out);
  // A second without a single reply: every request it still waits for was sent before that
  // second began, so their wait is at least a second, and it is only known to be at least that.
  bool saw_frozen_second = false;
  for (const auto& line : client.lines()) {
    if (!line.starts_with("{\"type\":\"second\"") || json_number(line, "requests") != 0) continue;
    saw_frozen_second = true;
    CHECK_THAT(line, Catch::Contains("\"p99_lower_bound\":true"));
    CHECK(json_number(line, "p99_us") >= 1e6);
    CHECK(json_number(line, "stuck") > 0);
  }
  CHECK(saw_frozen_second);
  const auto summary = client.lines().back();
  REQUIRE_THAT(summary, Catch::StartsWith("{\"type\":\"summary\""));
  CHECK_THAT(summary, Catch::Contains("\"max_lower_bound\":true"));
  CHECK(json_number(summary, "max_us") >= 1e6);
}

TEST_CASE("Ctrl-C in load mode prints the summary so far and exits 130", "[client]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});
  for (const bool json : {false, true}) {
    INFO((json ? "--json" : "text"));
    std::vector<std::string> args{bin("primeloop-client"),
                                  "--port",
                                  std::to_string(s.port),
                                  "--connections",
                                  "2",
                                  "--duration",
                                  "600"};
    if (json) args.emplace_back("--json");
    child_process client(std::move(args));
    REQUIRE(client.wait_for_line(json ? "\"second\":1," : "1 s:"));
    client.signal(SIGINT);
    const auto out = client.read_all();
    const auto status = client.wait();
    REQUIRE(status);
    CHECK(*status == 130);
    if (json) {
      CHECK_THAT(out, Catch::Contains("{\"type\":\"summary\",\"connections\":2,"));
      CHECK_THAT(out, Catch::Contains("\"interrupted\":true"));
      CHECK_THAT(out, !Catch::Contains("\"total\":0,"));
    } else {
      CHECK_THAT(out, Catch::Contains("summary: 2 connections x depth 1, n=1, "));
      CHECK_THAT(out, Catch::Contains("  interrupted after "));
      CHECK_THAT(out, Catch::Contains("latency p50"));
      // Every line of the text output fits a 100-column terminal.
      std::istringstream lines(out);
      for (std::string line; std::getline(lines, line);) {
        INFO(line);
        CHECK(line.size() <= 100);
      }
    }
  }
}

TEST_CASE("A second without replies shows - for its percentiles", "[client]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});
  child_process client({bin("primeloop-client"), "--port", std::to_string(s.port), "--connections",
                        "2", "--duration", "3"});
  REQUIRE(client.wait_for_line("1 s:"));
  // The server goes away: its connections fail and nothing is outstanding any more.
  s.proc.signal(SIGKILL);
  REQUIRE(s.proc.wait());
  const auto out = client.read_all();
  const auto status = client.wait();
  REQUIRE(status);
  CHECK(*status == 1);
  INFO(out);
  CHECK_THAT(out, Catch::Contains("3 s:        0 req  p50         -  p99         -"));
  CHECK_THAT(out, Catch::Contains("latency p50"));
}

TEST_CASE("The one-shot client's estimate of a long n names every workload within 100 columns",
          "[client]") {
  using primeloop::clients::cost_hint;
  using primeloop::clients::rough_duration;
  CHECK(rough_duration(0.5) == "under a second");
  CHECK(rough_duration(90) == "about 1.5 min");
  CHECK(rough_duration(20) == "about 20 s");
  CHECK(rough_duration(3 * 3600) == "about 3.0 hours");
  // naive 20000 takes about a second: nothing to warn about; text is the server's business.
  CHECK(cost_hint({"20000"}).empty());
  CHECK(cost_hint({"abc", "-5"}).empty());
  const auto hint = cost_hint({"10", "100000000"});
  REQUIRE(hint.size() == 2);
  CHECK(hint[0].starts_with("n=100000000: about "));
  CHECK(hint[0].find("years on the naive workload") != std::string::npos);
  for (const auto* w : {"trial: ", "sieve: ", "fast: "})
    CHECK(hint[1].find(w) != std::string::npos);
  for (const auto& n : {"100000", "100000000", "1000000000000", "216289611853439384"}) {
    for (const auto& line : cost_hint({n})) {
      INFO(line);
      CHECK(std::string("primeloop-client: ").size() + line.size() <= 100);
    }
  }
}

TEST_CASE("primeloop-client with --timeout says at once that the server closed the connection",
          "[client]") {
  auto s = start_server({"--stats-interval", "0.05", "--executor", "threads"});
  // naive n = 10^7 takes days: only the server's death ends this wait.
  child_process client(
      {bin("primeloop-client"), "--port", std::to_string(s.port), "--timeout", "3600", "10000000"});
  REQUIRE(s.proc.wait_for_line("in-flight 1"));
  s.proc.signal(SIGKILL);
  // The closed connection, not the timeout's message an hour later.
  CHECK(client.read_all() ==
        "primeloop-client: the server closed the connection after 0 of 1 replies\n");
  CHECK(client.wait() == 1);
}
