#pragma once
/// Where cheap work stops staying on the loop: the one default that the server's --offload-above
/// and the lab's '+adaptive' columns share.

namespace primeloop {

/// primeloop-server's --offload-above, and what a lab column's '+adaptive' passes: 20000
/// estimated steps (core/workloads.hpp), about 20 us of work, a few times the cost of a hand-off
/// to a pool thread and back (docs/performance.md measures both). Below it the hand-off would
/// cost more than the work; far above it one request on the loop would hold up every other
/// client. The lab's plain `threads`/`processes` columns pass 0, the lesson as told.
inline constexpr double default_offload_above = 20000;

}  // namespace primeloop
