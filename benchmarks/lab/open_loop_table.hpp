#pragma once
/// The lab's open-loop section (--rate): per executor, the tail of the small requests that fell
/// due while the long request was outstanding, timed from their due time, and the share of them
/// slower than the objective (--slo).
#include <string>
#include <vector>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::lab {

/// The open-loop table as text, one row per executor; empty when the lab ran closed loop.
[[nodiscard]] std::string format_open_loop_table(const std::vector<executor_run>& runs,
                                                 const lab_config& config);

}  // namespace primeloop::lab
