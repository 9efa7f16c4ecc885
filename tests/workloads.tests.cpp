#include "core/workloads.hpp"

#include <atomic>

#include <catch2/catch.hpp>

using primeloop::interrupt_check;
using primeloop::nth_prime;
using primeloop::workload;

TEST_CASE("Every workload knows the classic values", "[workloads]") {
  const std::pair<std::uint64_t, std::uint64_t> known[] = {
      {1, 2}, {2, 3}, {3, 5}, {4, 7}, {10, 29}, {100, 541}, {1000, 7919}, {10000, 104729}};
  for (auto w : {workload::naive, workload::trial, workload::sieve, workload::fast}) {
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
  // OEIS A006988 (the 10^n-th prime): a(8) = 2038074743.
  CHECK(nth_prime(workload::sieve, 100'000'000) == 2038074743);
}

TEST_CASE("The sieve is right on both sides of its 2^24 intervals", "[workloads]") {
  // The sieve counts [k 2^24, (k+1) 2^24) one interval at a time, then searches the last one.
  // pi(2^k): OEIS A007053; the primes on either side of 2^k: OEIS A014234 (largest prime
  // <= 2^k) and A014210 (smallest prime >= 2^k). 3 * 2^24, no power of two: primecount's
  // command (`primecount 50331648`, `primecount -n 3019815`, `primecount -n 3019816`).
  struct boundary {
    std::uint64_t pi, below, above;
  };
  for (const auto [pi, below, above] : {boundary{1'077'871, 16'777'213, 16'777'259},     // 2^24
                                        boundary{2'063'689, 33'554'393, 33'554'467},     // 2^25
                                        boundary{3'019'815, 50'331'599, 50'331'653},     // 3 2^24
                                        boundary{3'957'809, 67'108'859, 67'108'879}}) {  // 2^26
    INFO("pi=" << pi);
    CHECK(nth_prime(workload::sieve, pi) == below);
    CHECK(nth_prime(workload::sieve, pi + 1) == above);
    // Each side again against prime counting, an algorithm that shares no code with the sieve.
    for (std::uint64_t n = pi - 2; n <= pi + 3; ++n) {
      INFO("n=" << n);
      CHECK(nth_prime(workload::sieve, n) == nth_prime(workload::fast, n));
    }
  }
}

TEST_CASE("fast agrees with the other workloads", "[workloads]") {
  for (std::uint64_t n = 1; n <= 2000; ++n) {
    INFO("n=" << n);
    REQUIRE(nth_prime(workload::fast, n) == nth_prime(workload::trial, n));
  }
  // Geometric steps up to 10^7: every code path of primecount's nth_prime (lookup table,
  // sieving, prime counting) meets the sieve.
  for (std::uint64_t n = 2000; n <= 10'000'000; n = n * 9 / 8 + 1) {
    INFO("n=" << n);
    REQUIRE(nth_prime(workload::fast, n) == nth_prime(workload::sieve, n));
  }
}

TEST_CASE("fast knows the 10^k-th primes past 10^9", "[workloads]") {
  // OEIS A006988, a(n) = prime(10^n): https://oeis.org/A006988
  const std::pair<std::uint64_t, std::uint64_t> known[] = {
      {1'000'000'000, 22'801'763'489},
      {10'000'000'000, 252'097'800'623},
      {100'000'000'000, 2'760'727'302'517},
      {1'000'000'000'000, 29'996'224'275'833},
  };
  for (auto [n, p] : known) {
    INFO("n=" << n);
    CHECK(nth_prime(workload::fast, n) == p);
  }
}

TEST_CASE("fast cannot be interrupted: it checks before it starts and after it ends",
          "[workloads]") {
  int calls = 0;
  const interrupt_check count{[](void* ctx) { return ++*static_cast<int*>(ctx) > 2; }, &calls};
  CHECK(nth_prime(workload::fast, 1'000'000, count) == 15485863);
  CHECK(calls == 2);
  calls = 0;
  const interrupt_check stop_after{[](void* ctx) { return ++*static_cast<int*>(ctx) > 1; }, &calls};
  CHECK_FALSE(nth_prime(workload::fast, 1'000'000, stop_after));  // a deadline passed meanwhile
  const interrupt_check stop{[](void*) { return true; }, nullptr};
  CHECK_FALSE(nth_prime(workload::fast, 1'000'000, stop));
}

TEST_CASE("Each workload has a largest n and a default --max-n within it", "[workloads]") {
  for (const auto& [w, name] : primeloop::workload_names) {
    INFO(name);
    CHECK(primeloop::default_max_n(w) <= primeloop::largest_n(w));
  }
  CHECK(primeloop::default_max_n(workload::fast) == 10'000'000'000'000);
  CHECK(primeloop::default_max_n(workload::sieve) == 100'000'000);
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
  for (const auto& [w, name] : primeloop::workload_names) {
    CHECK(primeloop::to_string(w) == name);
    CHECK(primeloop::parse_workload(name) == w);
  }
  CHECK_FALSE(primeloop::parse_workload("quick"));
}

TEST_CASE("Cost estimates grow with n and rank the algorithms", "[workloads]") {
  using primeloop::estimated_cost;
  CHECK(estimated_cost(workload::naive, 1) < 1e3);
  CHECK(estimated_cost(workload::naive, 100000) > 1e9);
  CHECK(estimated_cost(workload::naive, 1000) < estimated_cost(workload::naive, 2000));
  CHECK(estimated_cost(workload::sieve, 100000) < estimated_cost(workload::trial, 100000));
  CHECK(estimated_cost(workload::trial, 100000) < estimated_cost(workload::naive, 100000));
  CHECK(estimated_cost(workload::fast, 100'000'000) < estimated_cost(workload::sieve, 100'000'000));
  // Cost grows with n from the start, so first_costly_n finds one boundary for any cost.
  for (std::uint64_t n = 2; n < 100; ++n) {  // (n = 1 costs as n = 2 in every estimate)
    CHECK(estimated_cost(workload::fast, n) < estimated_cost(workload::fast, n + 1));
  }
}

TEST_CASE("The first costly n splits cheap from costly requests", "[workloads]") {
  for (auto w : {workload::naive, workload::trial, workload::sieve, workload::fast}) {
    const auto n = primeloop::first_costly_n(w);
    INFO(primeloop::to_string(w) << " " << n);
    CHECK(n > 1);
    CHECK(primeloop::estimated_cost(w, n) >= primeloop::cheap_cost);
    CHECK(primeloop::estimated_cost(w, n - 1) < primeloop::cheap_cost);
  }
  CHECK(primeloop::first_costly_n(workload::naive) < 100000);  // the lesson's long request
}
