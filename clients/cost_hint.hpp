#pragma once
/// What the one-shot client says before a wait that may not end in a lifetime: how long the
/// largest n takes with each workload, from the workloads' own estimates. The client cannot
/// know the server's workload, so it names the default (naive) and the others beside it.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace primeloop::clients {

/// From this long on with the naive workload (the server's default) a request counts as long.
inline constexpr std::chrono::seconds long_request{10};

/// "about 3 s", "about 35 min", "about 1.5 years", "under a second": a rough length of time.
[[nodiscard]] std::string rough_duration(double seconds);

/// The lines to print before waiting for `requests` (n values as typed; those that are not
/// numbers are left to the server): none when the largest n takes less than long_request on
/// the naive workload, else two lines within 100 columns naming every workload's estimate.
[[nodiscard]] std::vector<std::string> cost_hint(const std::vector<std::string>& requests);

}  // namespace primeloop::clients
