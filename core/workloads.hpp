#pragma once
/// The ways to compute the nth prime. Pure functions of n that poll a cheap interruption check
/// every few thousand steps, so a thread can be cancelled and the GIL model can switch; the one
/// library call that cannot (fast) checks only before it starts, and its --max-n bounds it.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "core/names.hpp"

namespace primeloop {

/// Which algorithm computes the nth prime.
enum class workload {
  naive,  ///< the lesson's: i is prime when no d in [2, i/2] divides it. Deliberately slow.
  trial,  ///< trial division by odd numbers up to the integer square root
  sieve,  ///< segmented sieve of Eratosthenes (Debian's libprimesieve)
  fast,   ///< prime counting (Gourdon's algorithm, Debian's libprimecount), then a short sieve
};

/// The one table of workload names: parse_workload, to_string and the help texts read it.
inline constexpr names_table<workload, 4> workload_names{{
    {workload::naive, "naive"},
    {workload::trial, "trial"},
    {workload::sieve, "sieve"},
    {workload::fast, "fast"},
}};

/// The workload's name in workload_names.
[[nodiscard]] std::string_view to_string(workload w) noexcept;
/// The workload named s, if any.
[[nodiscard]] std::optional<workload> parse_workload(std::string_view s) noexcept;

/// A check the computation calls at coarse, regular points (thousands of steps apart).
/// Returning true stops the computation. A plain function pointer and a context: no
/// allocation, and nothing to pay when absent.
struct interrupt_check {
  bool (*fn)(void* ctx) = nullptr;
  void* ctx = nullptr;
  [[nodiscard]] bool operator()() const { return fn != nullptr && fn(ctx); }
};

/// Steps of work between two calls of the interrupt check.
inline constexpr std::uint32_t interrupt_interval = 1U << 14;

/// The nth prime (n >= 1: 1 -> 2, 10 -> 29), or nullopt when the check asked to stop.
[[nodiscard]] std::optional<std::uint64_t> nth_prime(workload w, std::uint64_t n,
                                                     interrupt_check check = {});

[[nodiscard]] std::optional<std::uint64_t> nth_prime_naive(std::uint64_t n, interrupt_check check);
[[nodiscard]] std::optional<std::uint64_t> nth_prime_trial(std::uint64_t n, interrupt_check check);
[[nodiscard]] std::optional<std::uint64_t> nth_prime_sieve(std::uint64_t n, interrupt_check check);
/// One call into libprimecount, which cannot be interrupted: the check runs before it and after.
/// Its running time is bounded only by n (see largest_n and default_max_n).
[[nodiscard]] std::optional<std::uint64_t> nth_prime_fast(std::uint64_t n, interrupt_check check);

/// The largest n the workload can answer at all (the server's --max-n may not exceed it).
[[nodiscard]] std::uint64_t largest_n(workload w) noexcept;
/// The --max-n a server running this workload gets by default: for fast, the n whose one
/// uninterruptible computation stays within about a second of CPU on a 2020s core.
[[nodiscard]] std::uint64_t default_max_n(workload w) noexcept;

/// Estimated steps under which a computation counts as cheap: about a millisecond, less than a
/// wake-up of another thread or process is worth, and short enough to wait behind.
inline constexpr double cheap_cost = 1e6;

/// The smallest n whose estimated_cost reaches `cost`. Computed once per pool, so that telling
/// a cheap request from a costly one on the hot path is one comparison.
[[nodiscard]] std::uint64_t first_costly_n(workload w, double cost = cheap_cost) noexcept;

/// A rough count of the elementary steps nth_prime(w, n) takes: used to keep cheap requests
/// from queueing behind expensive ones. Only the order of magnitude matters.
[[nodiscard]] double estimated_cost(workload w, std::uint64_t n) noexcept;

}  // namespace primeloop
