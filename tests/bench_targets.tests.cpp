// The bench's targets for fairness and for the loop's system calls: what each figure should be,
// from results made up for the purpose (no server runs here).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "benchmarks/bench/bench.hpp"
#include "benchmarks/bench/bench_report.hpp"

namespace bench = primeloop::bench;

namespace {

/// A made-up strace count of one server: its requests and its calls by name.
bench::syscall_cell traced(std::string target, std::uint64_t requests,
                           std::map<std::string, bench::syscall_tally> calls) {
  bench::syscall_cell c;
  c.target = std::move(target);
  c.requests = requests;
  c.calls = std::move(calls);
  return c;
}

}  // namespace

TEST_CASE(
    "The fairness and system-call targets: pools within 2 s, inline within a turn, calls near the "
    "baseline's",
    "[bench]") {
  using std::chrono::milliseconds;
  bench::bench_config config;
  config.executors = {"inline", "threads", "processes"};
  bench::bench_results r;
  const auto fair = [](std::string target, milliseconds first, std::optional<milliseconds> fresh) {
    bench::fairness_cell c;
    c.target = std::move(target);
    c.first_answer = first;
    if (fresh) c.fresh_wait = *fresh;
    return c;
  };
  // Inline: one computation of 900 ms plus 1 s allows 1.9 s; the pools have 2 s whatever it is.
  r.fairness = {fair("inline", milliseconds{900}, milliseconds{1800}),
                fair("threads", milliseconds{900}, milliseconds{2100}),
                fair("processes", milliseconds{900}, std::nullopt)};
  const auto calls = [](std::string target, std::uint64_t requests, std::uint64_t n) {
    return traced(std::move(target), requests, {{"recvfrom", {n, 0}}});
  };
  r.syscalls = {calls("baseline", 1000, 2000), calls("inline", 1000, 2300),
                calls("threads", 1000, 2700)};
  const auto checks = bench::check_targets(r, config);
  const auto* in = bench::find_target(checks, "fresh request behind a pipelined backlog, inline");
  REQUIRE(in);
  CHECK(in->met == true);
  CHECK(bench::find_target(checks, "fresh request behind a pipelined backlog, threads")->met ==
        false);
  const auto* none =
      bench::find_target(checks, "fresh request behind a pipelined backlog, processes");
  REQUIRE(none);
  CHECK(none->met == false);
  CHECK_THAT(none->measured, Catch::StartsWith("failed"));
  const auto* sc = bench::find_target(checks, "system calls per request, inline / baseline");
  REQUIRE(sc);
  CHECK(sc->measured == "1.15");
  CHECK(sc->met == false);
  // The pools' calls are shown, not held to the loop's target.
  CHECK_FALSE(bench::find_target(checks, "system calls per request, threads / baseline"));
}

TEST_CASE("The process pool's failed reads per request are held under 0.02", "[bench]") {
  bench::bench_config config;
  config.executors = {"processes", "processes+adaptive"};
  bench::bench_results r;
  const auto reads = [](std::string target, std::uint64_t failed_recvfrom,
                        std::uint64_t failed_read) {
    // epoll_wait is not a read: its failures do not count.
    return traced(std::move(target), 1000,
                  {{"recvfrom", {1400, failed_recvfrom}},
                   {"read", {500, failed_read}},
                   {"epoll_wait", {300, 200}}});
  };
  r.syscalls = {reads("baseline", 0, 0), reads("processes", 300, 10),
                reads("processes+adaptive", 5, 10)};
  const auto checks = bench::check_targets(r, config);
  const auto* speculative = bench::find_target(checks, "failed reads per request, processes");
  REQUIRE(speculative);
  CHECK(speculative->target == "< 0.02");
  CHECK(speculative->measured == "0.310");
  CHECK(speculative->met == false);
  const auto* waited = bench::find_target(checks, "failed reads per request, processes+adaptive");
  REQUIRE(waited);
  CHECK(waited->measured == "0.015");
  CHECK(waited->met == true);
  // Inline and the baseline have no worker channel to read.
  CHECK_FALSE(bench::find_target(checks, "failed reads per request, baseline"));
}
