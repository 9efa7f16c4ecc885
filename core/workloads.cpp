#include "core/workloads.hpp"

#include <algorithm>
#include <cmath>

#include <primesieve.hpp>

namespace primeloop {

std::string_view to_string(workload w) noexcept {
  switch (w) {
    case workload::naive:
      return "naive";
    case workload::trial:
      return "trial";
    case workload::sieve:
      return "sieve";
  }
  return "?";
}

std::optional<workload> parse_workload(std::string_view s) noexcept {
  if (s == "naive") return workload::naive;
  if (s == "trial") return workload::trial;
  if (s == "sieve") return workload::sieve;
  return std::nullopt;
}

std::optional<std::uint64_t> nth_prime(workload w, std::uint64_t n, interrupt_check check) {
  switch (w) {
    case workload::naive:
      return nth_prime_naive(n, check);
    case workload::trial:
      return nth_prime_trial(n, check);
    case workload::sieve:
      return nth_prime_sieve(n, check);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> nth_prime_naive(std::uint64_t n, interrupt_check check) {
  // The lesson's algorithm, kept as slow as it is there: every d up to i/2, no early sqrt bound,
  // no skipping even numbers.
  std::uint32_t budget = interrupt_interval;
  std::uint64_t count = 0;
  for (std::uint64_t i = 2;; ++i) {
    bool prime = true;
    if (i > 3) {
      for (std::uint64_t d = 2; d <= i / 2; ++d) {
        if (--budget == 0) {
          budget = interrupt_interval;
          if (check()) return std::nullopt;
        }
        if (i % d == 0) {
          prime = false;
          break;
        }
      }
    }
    if (prime && ++count == n) return i;
  }
}

std::optional<std::uint64_t> nth_prime_trial(std::uint64_t n, interrupt_check check) {
  if (n == 1) return 2;
  std::uint32_t budget = interrupt_interval;
  std::uint64_t count = 1;
  for (std::uint64_t i = 3;; i += 2) {
    bool prime = true;
    for (std::uint64_t d = 3; d * d <= i; d += 2) {
      if (--budget == 0) {
        budget = interrupt_interval;
        if (check()) return std::nullopt;
      }
      if (i % d == 0) {
        prime = false;
        break;
      }
    }
    if (prime && ++count == n) return i;
  }
}

std::optional<std::uint64_t> nth_prime_sieve(std::uint64_t n, interrupt_check check) {
  // Debian's libprimesieve (a segmented sieve of Eratosthenes with wheel factorisation) counts
  // the primes of one interval at a time, so that the check runs between intervals; the last
  // interval is searched for the exact prime. One thread per computation, like every workload:
  // where requests run in parallel is the executor's decision, not the algorithm's.
  static const bool single_threaded = [] {
    primesieve::set_num_threads(1);
    return true;
  }();
  (void)single_threaded;
  constexpr std::uint64_t interval = std::uint64_t{1} << 24;  // a few milliseconds each
  std::uint64_t counted = 0;
  for (std::uint64_t low = 0;; low += interval) {
    if (check()) return std::nullopt;
    const std::uint64_t in_interval = primesieve::count_primes(low, low + interval - 1);
    if (counted + in_interval >= n) {
      // The (n - counted)th prime after low - 1, i.e. at or after low.
      return primesieve::nth_prime(static_cast<std::int64_t>(n - counted), low == 0 ? 0 : low - 1);
    }
    counted += in_interval;
  }
}

double estimated_cost(workload w, std::uint64_t n) noexcept {
  const double x = static_cast<double>(std::max<std::uint64_t>(n, 2));
  const double p = x * std::log(x) + 2;  // about the nth prime
  switch (w) {
    case workload::naive:
      return x * p / 4;  // each prime costs p/2 divisions
    case workload::trial:
      return x * std::sqrt(p) / 2;  // each prime costs sqrt(p)/2
    case workload::sieve:
      return p;
  }
  return p;
}

std::uint64_t first_costly_n(workload w, double cost) noexcept {
  std::uint64_t lo = 1, hi = 1;
  while (estimated_cost(w, hi) < cost && hi < (std::uint64_t{1} << 62)) hi *= 2;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (estimated_cost(w, mid) < cost) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace primeloop
