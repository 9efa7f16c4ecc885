#include "workloads.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace primeloop {

std::string_view to_string(workload w) noexcept {
  switch (w) {
    case workload::naive: return "naive";
    case workload::trial: return "trial";
    case workload::sieve: return "sieve";
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
    case workload::naive: return nth_prime_naive(n, check);
    case workload::trial: return nth_prime_trial(n, check);
    case workload::sieve: return nth_prime_sieve(n, check);
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

namespace {

/// An upper bound of the nth prime (Rosser and Schoenfeld: p_n < n (ln n + ln ln n) for n >= 6).
std::uint64_t nth_prime_upper_bound(std::uint64_t n) {
  if (n < 6) return 13;
  const double x = static_cast<double>(n);
  return static_cast<std::uint64_t>(x * (std::log(x) + std::log(std::log(x)))) + 3;
}

}  // namespace

std::optional<std::uint64_t> nth_prime_sieve(std::uint64_t n, interrupt_check check) {
  if (n == 1) return 2;
  // Odd numbers only; segments sized to stay in the L1/L2 cache.
  const std::uint64_t limit = nth_prime_upper_bound(n);
  const auto root = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(limit))) + 1;

  std::vector<std::uint32_t> base;  // odd primes up to root
  {
    std::vector<bool> composite(root + 1, false);
    for (std::uint64_t i = 3; i <= root; i += 2) {
      if (composite[i]) continue;
      base.push_back(static_cast<std::uint32_t>(i));
      for (std::uint64_t j = i * i; j <= root; j += 2 * i) composite[j] = true;
    }
  }

  constexpr std::uint64_t segment_odds = 1U << 16;  // 64 Ki odd numbers: 128 Ki span
  std::vector<std::uint8_t> segment(segment_odds);
  std::vector<std::uint64_t> next(base.size());  // next odd multiple index per base prime
  for (std::size_t k = 0; k < base.size(); ++k) {
    const std::uint64_t p = base[k];
    next[k] = (p * p - 1) / 2;  // index of p*p among odd numbers (odd m has index (m-1)/2)
  }

  std::uint64_t count = 1;  // 2
  // Index j stands for the odd number 2j+1; index 0 (the number 1) is not prime.
  for (std::uint64_t low = 0; 2 * low + 1 <= limit; low += segment_odds) {
    if (check()) return std::nullopt;
    const std::uint64_t high = std::min(low + segment_odds, (limit - 1) / 2 + 1);
    const std::uint64_t len = high - low;
    std::fill(segment.begin(), segment.begin() + static_cast<std::ptrdiff_t>(len), 1);
    if (low == 0) segment[0] = 0;
    for (std::size_t k = 0; k < base.size(); ++k) {
      const std::uint64_t p = base[k];
      std::uint64_t j = next[k];
      for (; j < high; j += p) segment[j - low] = 0;
      next[k] = j;
    }
    for (std::uint64_t j = 0; j < len; ++j) {
      if (segment[j] != 0 && ++count == n) return 2 * (low + j) + 1;
    }
  }
  return std::nullopt;  // unreachable: the bound holds for every n
}

double estimated_cost(workload w, std::uint64_t n) noexcept {
  const double x = static_cast<double>(std::max<std::uint64_t>(n, 2));
  const double p = x * std::log(x) + 2;  // about the nth prime
  switch (w) {
    case workload::naive: return x * p / 4;              // each prime costs p/2 divisions
    case workload::trial: return x * std::sqrt(p) / 2;  // each prime costs sqrt(p)/2
    case workload::sieve: return p;
  }
  return p;
}

}  // namespace primeloop
