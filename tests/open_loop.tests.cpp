// The open-loop load: its schedule arithmetic, the tail percentiles it reports, and
// primeloop-client --rate against the real server (the JSON summary, and an inline freeze that
// the corrected latency counts in full and the uncorrected one hides).
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "clients/latency_histogram.hpp"
#include "clients/send_schedule.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
using primeloop::clients::figures_with_waiting;
using primeloop::clients::latency_histogram;
using primeloop::clients::send_schedule;
using ns = std::chrono::nanoseconds;

namespace {

/// True when v is within the histogram's relative error (1/32) of want.
bool near(ns v, double want) {
  return std::abs(static_cast<double>(v.count()) - want) <= want / 32 + 1;
}

/// Runs primeloop-client with args against a fresh server; returns its summary line.
std::string summary_of(const std::vector<std::string>& server_flags,
                       std::vector<std::string> args) {
  auto s = start_server(server_flags);
  args.insert(args.begin(), {bin("primeloop-client"), "--port", std::to_string(s.port)});
  child_process client(std::move(args));
  const auto out = client.read_all();
  const auto status = client.wait();
  INFO(out);
  REQUIRE(status);
  CHECK(*status == 0);
  REQUIRE(!client.lines().empty());
  return client.lines().back();
}

}  // namespace

TEST_CASE("The open-loop schedule puts request k at start + k / rate", "[open-loop]") {
  const send_schedule::clock::time_point t0{std::chrono::seconds{100}};
  const send_schedule s(t0, 1000, 4);
  CHECK(s.due(0) == t0);
  CHECK(s.due(1) == t0 + std::chrono::milliseconds{1});
  CHECK(s.due(1000) == t0 + std::chrono::seconds{1});
  CHECK(s.due_by(t0 - ns{1}) == 0);
  CHECK(s.due_by(t0) == 1);
  CHECK(s.due_by(t0 + std::chrono::microseconds{999}) == 1);
  CHECK(s.due_by(t0 + std::chrono::milliseconds{1}) == 2);
  CHECK(s.due_by(t0 + std::chrono::seconds{2} - ns{1}) == 2000);
  CHECK(s.connection_of(0) == 0);
  CHECK(s.connection_of(5) == 1);
  CHECK(s.connection_of(7) == 3);

  // A rate whose period is no whole number of nanoseconds: the schedule does not drift.
  const send_schedule third(t0, 3, 1);
  CHECK(third.due(1) == t0 + ns{333'333'333});
  CHECK(third.due(3) == t0 + std::chrono::seconds{1});
  CHECK(third.due(3 * 3600) == t0 + std::chrono::hours{1});
  const send_schedule odd(t0, 7.3, 2);
  for (std::uint64_t k = 1; k < 20'000; ++k) {
    REQUIRE(odd.due(k) > odd.due(k - 1));
    REQUIRE(odd.due_by(odd.due(k)) == k + 1);
    REQUIRE(odd.due_by(odd.due(k) - ns{1}) == k);
  }
  CHECK_THROWS(send_schedule(t0, 0, 1));
  CHECK_THROWS(send_schedule(t0, 10, 0));
}

TEST_CASE("The histogram gives p90, p99.9 and p99.99 within its precision and max exactly",
          "[open-loop]") {
  latency_histogram h;
  for (int i = 1; i <= 100'000; ++i) h.record(ns{i * 1000});  // 1 us .. 100 ms
  const auto f = figures_with_waiting(h, {});
  CHECK(near(f.p50, 50'000'000));
  CHECK(near(f.p90, 90'000'000));
  CHECK(near(f.p99, 99'000'000));
  CHECK(near(f.p999, 99'900'000));
  CHECK(near(f.p9999, 99'990'000));
  CHECK(f.max == ns{100'000'000});
  CHECK_FALSE(f.p9999_lower_bound);

  // p99.99 sees the slowest 1 in 10,000 and no fewer: 10 slow of 100,010 stay above it, 11
  // slow of 100,011 decide it.
  latency_histogram tail;
  for (int i = 0; i < 100'000; ++i) tail.record(std::chrono::milliseconds{1});
  for (int i = 0; i < 10; ++i) tail.record(std::chrono::seconds{2});
  CHECK(near(tail.percentile(0.9999), 1e6));
  tail.record(std::chrono::seconds{2});
  CHECK(near(tail.percentile(0.9999), 2e9));
  CHECK(tail.max() == std::chrono::seconds{2});

  // Requests still waiting count as lower bounds in the tail as well.
  const std::vector<ns> waiting(20, std::chrono::seconds{3});
  const auto w = figures_with_waiting(tail, waiting);
  CHECK(w.waiting == 20);
  CHECK(w.p9999_lower_bound);
  CHECK(w.max_lower_bound);
  CHECK_FALSE(w.p99_lower_bound);
  CHECK(near(w.p99, 1e6));
}

TEST_CASE("primeloop-client --rate ends with a JSON summary of what was due, sent and answered",
          "[open-loop]") {
  const auto summary = summary_of(
      {"--executor", "threads", "--stats-interval", "0", "--workload", "trial"},
      {"--rate", "500", "--connections", "4", "--duration", "2", "--warmup", "0.5", "--json"});
  INFO(summary);
  REQUIRE_THAT(summary, Catch::StartsWith("{\"type\":\"summary\",\"rate\":500.0,"));
  for (const auto* key : {"\"sent\":", "\"answered\":", "\"errors\":", "\"due\":",
                          "\"schedule_kept\":", "\"max_send_lag_us\":", "\"latency_us\":{",
                          "\"latency_uncorrected_us\":{", "\"p50_us\":", "\"total\":"}) {
    CHECK_THAT(summary, Catch::Contains(key));
  }
  for (const auto* object : {"latency_us", "latency_uncorrected_us"}) {
    for (const auto* p : {"p50", "p90", "p99", "p99.9", "p99.99", "max"}) {
      CHECK(json_number(summary, p, object) >= 0);
    }
    CHECK(json_number(summary, "p50", object) <= json_number(summary, "p99.99", object));
    CHECK(json_number(summary, "p99.99", object) <= json_number(summary, "max", object));
  }
  // The schedule decides what is due, whatever the machine does: 500 a second for 2 s after
  // the warm-up. What went out and what came back cannot exceed it, and a client starved of the
  // CPU that sent less says so rather than reporting on fewer requests in silence.
  const auto due = json_number(summary, "due");
  const auto sent = json_number(summary, "sent");
  const auto answered = json_number(summary, "answered");
  CHECK(due >= 999);
  CHECK(due <= 1001);
  CHECK(sent <= due);
  if (sent < due) CHECK_THAT(summary, Catch::Contains("\"schedule_kept\":false"));
  CHECK(answered + json_number(summary, "errors") <= sent);
  CHECK(answered > 0);
}

TEST_CASE("Open loop against a frozen inline server: the corrected p99 counts the whole freeze",
          "[open-loop]") {
  // naive n = 100000 takes minutes, so the server is frozen from 1 s to the end of the run. In
  // the last 3 s, 3000 requests fall due and none is answered: their waits (up to 3 s) fill the
  // corrected tail. Timed from the send as a waiting client would, only the 4 requests at the
  // head of each connection wait, fewer than 1% of the 1000 answered before: the uncorrected
  // p99 stays at the answered requests' milliseconds.
  const auto summary = summary_of(
      {"--executor", "inline", "--stats-interval", "0", "--workload", "naive", "--grace", "0"},
      {"--rate", "1000", "--connections", "4", "--duration", "4", "--long-n", "100000",
       "--long-after", "1", "--json"});
  INFO(summary);
  const auto corrected = json_number(summary, "p99", "latency_us");
  const auto uncorrected = json_number(summary, "p99", "latency_uncorrected_us");
  CHECK(corrected >= 1.5e6);
  CHECK(uncorrected >= 0);
  CHECK(uncorrected < corrected / 4);
  CHECK(json_number(summary, "during_long_due") > 0);
  CHECK(json_number(summary, "during_long_over_slo") > 0);
}

TEST_CASE("primeloop-client rejects --rate with --depth", "[open-loop]") {
  child_process p({bin("primeloop-client"), "--rate", "10", "--depth", "2"});
  const auto out = p.read_all();
  CHECK(p.wait() == 2);
  CHECK_THAT(out, Catch::Contains("--rate and --depth"));
}
