#pragma once
/// The story table's words: what a stage's row measured in this run, said from its figures
/// ("2 ms switch: 4.9x the 5 ms rate"), to stand beside what the original lesson found.
#include <string>
#include <vector>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::lab {

/// What row measured, in at most about 40 characters. rows are every row of the run (a stage
/// is compared with another one: the 2 ms switch with the 5 ms one); connections is how many
/// small-request connections there were.
[[nodiscard]] std::string measured_words(const executor_summary& row,
                                         const std::vector<executor_summary>& rows,
                                         unsigned connections);

}  // namespace primeloop::lab
