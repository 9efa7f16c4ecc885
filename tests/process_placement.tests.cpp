// The process pool's placement rule, one decision a test: which worker a cheap request and a
// costly one go to, given what each worker computes and holds. No process is started: the rule
// is a function of the workers' loads (executors/process_placement.hpp).
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "executors/process_placement.hpp"

namespace ex = primeloop::executors;

namespace {

/// A worker waiting for work.
ex::worker_load idle() {
  return {};
}

/// A worker computing `in_flight` cheap requests of `queued_cost` steps in all, written to it
/// in an earlier pass of the loop.
ex::worker_load computing_cheap(std::size_t in_flight, double queued_cost) {
  return {.in_flight = in_flight, .queued_cost = queued_cost};
}

/// A worker computing one costly request.
ex::worker_load computing_costly() {
  return {.in_flight = 1, .computing_costly = true, .queued_cost = 1e9};
}

/// A request of about a microsecond, and one of seconds.
constexpr ex::request_cost cheap{.cheap = true, .cost = 1000};
constexpr ex::request_cost costly{.cheap = false, .cost = 1e9};

std::optional<std::size_t> place(const std::vector<ex::worker_load>& workers, ex::request_cost r) {
  return ex::place(workers, r);
}

}  // namespace

TEST_CASE("A costly request goes to an idle worker, not to one computing cheap requests",
          "[executors][placement]") {
  CHECK(place({computing_cheap(1, 1000), idle()}, costly) == 1U);
}

TEST_CASE("A costly request waits while no worker is idle", "[executors][placement]") {
  CHECK(place({computing_cheap(1, 1000), computing_costly()}, costly) == std::nullopt);
}

TEST_CASE("A cheap request joins a computing worker while it has under 20 us of work queued",
          "[executors][placement]") {
  // Idle first, so the choice is not the order of the workers.
  CHECK(place({idle(), computing_cheap(3, 3000)}, cheap) == 1U);
  CHECK(place({idle(), computing_cheap(3, ex::pack_cost - cheap.cost)}, cheap) == 1U);
}

TEST_CASE("A cheap request wakes an idle worker when the computing one has 20 us queued",
          "[executors][placement]") {
  CHECK(place({computing_cheap(3, ex::pack_cost - cheap.cost + 1), idle()}, cheap) == 1U);
}

TEST_CASE("A cheap request joins the first computing worker with room under the 20 us",
          "[executors][placement]") {
  CHECK(place({computing_cheap(5, ex::pack_cost), computing_cheap(2, 2000),
               computing_cheap(1, 1000), idle()},
              cheap) == 1U);
}

TEST_CASE("A cheap request never queues behind a costly computation", "[executors][placement]") {
  CHECK(place({computing_costly(), idle()}, cheap) == 1U);
  CHECK(place({computing_costly(), computing_costly()}, cheap) == std::nullopt);
}

TEST_CASE("Cheap requests of one pass of the loop go to the same worker, a batch at a time",
          "[executors][placement]") {
  // Written in this pass, not yet sent: one write and one wake-up carry the batch, even past
  // the 20 us a computing worker may hold.
  auto batching = computing_cheap(ex::cheap_batch - 1, 1e5);
  batching.unsent = true;
  CHECK(place({idle(), batching}, cheap) == 1U);
  // A full batch: the next cheap request goes elsewhere.
  batching.in_flight = ex::cheap_batch;
  CHECK(place({idle(), batching}, cheap) == 0U);
}

TEST_CASE("A worker holds at most 32 cheap requests", "[executors][placement]") {
  auto full = computing_cheap(ex::max_cheap_in_worker, 0);
  full.unsent = true;
  CHECK(place({full}, ex::request_cost{.cheap = true, .cost = 0}) == std::nullopt);
  CHECK(place({full, computing_cheap(ex::max_cheap_in_worker - 1, 1e5)}, cheap) == 1U);
}

TEST_CASE("Past the 20 us a cheap request goes to the least loaded worker, the first of equals",
          "[executors][placement]") {
  CHECK(place({idle(), idle()}, cheap) == 0U);
  CHECK(place({computing_cheap(5, 1e5), computing_cheap(2, 1e5), computing_cheap(2, 1e5)}, cheap) ==
        1U);
}

TEST_CASE("A worker that is dead or being killed takes nothing", "[executors][placement]") {
  auto gone = idle();
  gone.usable = false;
  CHECK(place({gone}, cheap) == std::nullopt);
  CHECK(place({gone}, costly) == std::nullopt);
  CHECK(place({gone, idle()}, costly) == 1U);
}
