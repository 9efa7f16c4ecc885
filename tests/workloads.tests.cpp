#include "core/workloads.hpp"

#include <atomic>

#include <catch2/catch.hpp>

using primeloop::interrupt_check;
using primeloop::nth_prime;
using primeloop::workload;

TEST_CASE("Every workload knows the classic values", "[workloads]") {
  const std::pair<std::uint64_t, std::uint64_t> known[] = {
      {1, 2}, {2, 3}, {3, 5}, {4, 7}, {10, 29}, {100, 541}, {1000, 7919}, {10000, 104729}};
  for (auto w : {workload::naive, workload::trial, workload::sieve}) {
    for (auto [n, p] : known) {
      INFO(primeloop::to_string(w) << " n=" << n);
      CHECK(nth_prime(w, n) == p);
    }
  }
}

TEST_CASE("The three workloads agree on a range of n", "[workloads]") {
  for (std::uint64_t n = 1; n <= 1500; ++n) {
    const auto trial = nth_prime(workload::trial, n);
    INFO("n=" << n);
    REQUIRE(trial);
    REQUIRE(nth_prime(workload::sieve, n) == trial);
    if (n <= 400) REQUIRE(nth_prime(workload::naive, n) == trial);
  }
  // Around segment boundaries of the sieve (65536 odd numbers per segment).
  for (std::uint64_t n : {12251U, 12252U, 12253U, 23000U, 23001U, 50000U}) {
    CHECK(nth_prime(workload::sieve, n) == nth_prime(workload::trial, n));
  }
}

TEST_CASE("The sieve reaches far", "[workloads]") {
  CHECK(nth_prime(workload::sieve, 1'000'000) == 15485863);
  CHECK(nth_prime(workload::trial, 100'000) == 1299709);
}

TEST_CASE("A computation stops when its check says so", "[workloads]") {
  int calls = 0;
  const interrupt_check stop_at_third{[](void* ctx) { return ++*static_cast<int*>(ctx) >= 3; },
                                      &calls};
  for (auto w : {workload::naive, workload::trial, workload::sieve}) {
    calls = 0;
    INFO(primeloop::to_string(w));
    // Far too big to finish: only the check can end it.
    CHECK_FALSE(nth_prime(w, 50'000'000, stop_at_third));
    CHECK(calls == 3);
  }
}

TEST_CASE("Workload names round-trip", "[workloads]") {
  for (auto w : {workload::naive, workload::trial, workload::sieve}) {
    CHECK(primeloop::parse_workload(primeloop::to_string(w)) == w);
  }
  CHECK_FALSE(primeloop::parse_workload("fast"));
}

TEST_CASE("Cost estimates grow with n and rank the algorithms", "[workloads]") {
  using primeloop::estimated_cost;
  CHECK(estimated_cost(workload::naive, 1) < 1e3);
  CHECK(estimated_cost(workload::naive, 100000) > 1e9);
  CHECK(estimated_cost(workload::naive, 1000) < estimated_cost(workload::naive, 2000));
  CHECK(estimated_cost(workload::sieve, 100000) < estimated_cost(workload::trial, 100000));
  CHECK(estimated_cost(workload::trial, 100000) < estimated_cost(workload::naive, 100000));
}

TEST_CASE("The first costly n splits cheap from costly requests", "[workloads]") {
  for (auto w : {workload::naive, workload::trial, workload::sieve}) {
    const auto n = primeloop::first_costly_n(w);
    INFO(primeloop::to_string(w) << " " << n);
    CHECK(n > 1);
    CHECK(primeloop::estimated_cost(w, n) >= primeloop::cheap_cost);
    CHECK(primeloop::estimated_cost(w, n - 1) < primeloop::cheap_cost);
  }
  CHECK(primeloop::first_costly_n(workload::naive) < 100000);  // the lesson's long request
}
