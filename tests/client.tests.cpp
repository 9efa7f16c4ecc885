// The load client's histogram, primeloop-client's argument handling and exit statuses, and the
// load generator driven in-process against the real server.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "clients/latency_histogram.hpp"
#include "clients/load_generator.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
using primeloop::clients::latency_histogram;

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
