#include "core/workloads.hpp"

#include <algorithm>
#include <cmath>

#include <primecount.hpp>
#include <primesieve.hpp>

#include "core/protocol.hpp"

namespace primeloop {

std::string_view to_string(workload w) noexcept {
  return name_of(workload_names, w);
}

std::optional<workload> parse_workload(std::string_view s) noexcept {
  return value_named(workload_names, s);
}

std::optional<std::uint64_t> nth_prime(workload w, std::uint64_t n, interrupt_check check) {
  switch (w) {
    case workload::naive:
      return nth_prime_naive(n, check);
    case workload::trial:
      return nth_prime_trial(n, check);
    case workload::sieve:
      return nth_prime_sieve(n, check);
    case workload::fast:
      return nth_prime_fast(n, check);
  }
  return std::nullopt;
}

namespace {

/// Trial division of i by d, d + step, ... while in_range(d): whether a divisor was found, or
/// nullopt when the check asked to stop. The check runs every interrupt_interval divisions.
template <class InRange>
std::optional<bool> has_divisor(std::uint64_t i, std::uint64_t d, std::uint64_t step,
                                InRange in_range, std::uint32_t& budget, interrupt_check& check) {
  for (; in_range(d); d += step) {
    if (--budget == 0) {
      budget = interrupt_interval;
      if (check()) return std::nullopt;
    }
    if (i % d == 0) return true;
  }
  return false;
}

}  // namespace

std::optional<std::uint64_t> nth_prime_naive(std::uint64_t n, interrupt_check check) {
  // The lesson's algorithm, kept as slow as it is there: every d up to i/2, no early sqrt bound,
  // no skipping even numbers.
  std::uint32_t budget = interrupt_interval;
  std::uint64_t count = 0;
  for (std::uint64_t i = 2;; ++i) {
    const auto divisor = has_divisor(
        i, 2, 1, [i](std::uint64_t d) { return i > 3 && d <= i / 2; }, budget, check);
    if (!divisor) return std::nullopt;
    if (!*divisor && ++count == n) return i;
  }
}

std::optional<std::uint64_t> nth_prime_trial(std::uint64_t n, interrupt_check check) {
  if (n == 1) return 2;
  std::uint32_t budget = interrupt_interval;
  std::uint64_t count = 1;
  for (std::uint64_t i = 3;; i += 2) {
    const auto divisor = has_divisor(
        i, 3, 2, [i](std::uint64_t d) { return d * d <= i; }, budget, check);
    if (!divisor) return std::nullopt;
    if (!*divisor && ++count == n) return i;
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

std::optional<std::uint64_t> nth_prime_fast(std::uint64_t n, interrupt_check check) {
  // primecount parallelises one computation over every core by default; here one request is one
  // thread, as for the sieve. The setting is process-wide and the call is otherwise reentrant.
  static const bool single_threaded = [] {
    primecount::set_num_threads(1);
    return true;
  }();
  (void)single_threaded;
  // The library has no interruption point: a request cancelled or timed out while it waited
  // stops here; once it runs, it runs to the end (docs/architecture.md, "Work that cannot stop").
  if (check()) return std::nullopt;
  const auto p = static_cast<std::uint64_t>(primecount::nth_prime(static_cast<std::int64_t>(n)));
  // Checked again after: a request that ran past --request-timeout gets ERR timeout, as a
  // computation stopped at that deadline would, only later.
  if (check()) return std::nullopt;
  return p;
}

std::uint64_t largest_n(workload w) noexcept {
  switch (w) {
    case workload::fast:
      return 216'289'611'853'439'384;  // primecount::nth_prime's documented precondition
    case workload::naive:
    case workload::trial:
    case workload::sieve:
      break;
  }
  return protocol::largest_max_n;  // past it the others take days; the bound keeps the flag honest
}

std::uint64_t default_max_n(workload w) noexcept {
  // fast at 10^13: about 0.7 s of CPU (primecount 7.6, one thread); 10^14 takes about 3 s.
  return w == workload::fast ? 10'000'000'000'000 : protocol::default_max_n;
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
    case workload::fast:
      // Gourdon's algorithm runs in O(p^(2/3) / log(p)^2); the factor fits primecount 7.6's
      // times (n = 10^6: 40 us, 10^9: 3.6 ms, 10^12: 0.2 s) in the unit of the other estimates,
      // where 10^6 steps is about a millisecond.
      // (log clamped below, so that the estimate grows with n from n = 1 on).
      {
        const double log_p = std::max(std::log(p), 3.0);
        return 250 * std::pow(p, 2.0 / 3.0) / (log_p * log_p);
      }
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
