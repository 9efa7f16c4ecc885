#pragma once
/// Where the process pool sends a request: the placement rule of process_scheduler, as a pure
/// function of what each worker holds, so that each of its decisions can be tested without a
/// process. A costly request goes only to an idle worker. A cheap one (about a millisecond, by
/// estimated_cost) may queue inside a worker, up to 32: waking a second process costs more
/// than a short wait, and leaves one more process taking turns on the cores (docs/lessons.md).
#include <cstddef>
#include <optional>
#include <span>

namespace primeloop::executors {

/// Requests a worker may hold at once when all of them are cheap.
inline constexpr std::size_t max_cheap_in_worker = 32;

/// Cheap requests of one pass of the loop that go to the same worker before the next worker is
/// used: a handful of microseconds of work, worth less than a second wake-up.
inline constexpr std::size_t cheap_batch = 8;

/// Estimated steps (10^6: about a millisecond) a computing worker may have queued and still
/// take one more cheap request ahead of an idle worker: about 20 us, a few wake-ups' worth.
inline constexpr double pack_cost = 20000;

/// One worker as the rule sees it.
struct worker_load {
  bool usable = true;             ///< alive and not being killed
  std::size_t in_flight = 0;      ///< requests sent and not answered; the first one computes
  bool computing_costly = false;  ///< the request it computes is costly
  bool unsent = false;            ///< it got requests in this pass of the loop, not written yet
  double queued_cost = 0;         ///< estimated steps of its requests in flight
};

/// The request to place: cheap (below first_costly_n) or not, and its estimated_cost.
struct request_cost {
  bool cheap = true;
  double cost = 0;
};

/// Whether w may take r now: a costly request needs an idle worker; a cheap one a worker with
/// fewer than max_cheap_in_worker requests and no costly one ahead of it.
[[nodiscard]] bool may_take(const worker_load& w, request_cost r) noexcept;

/// The index of the worker that should take r, or nullopt when none may. A cheap request joins
/// a worker that already gets requests in this pass while that batch is below cheap_batch (one
/// write, one wake-up). Then the first worker already computing whose queued cost stays within
/// pack_cost with r (it is awake; an idle one would have to be woken). Otherwise the worker
/// that may take it with the fewest requests in flight, the first of equals: an idle one.
[[nodiscard]] std::optional<std::size_t> place(std::span<const worker_load> workers,
                                               request_cost r) noexcept;

}  // namespace primeloop::executors
