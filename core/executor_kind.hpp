#pragma once
/// The executor policies by name (--executor): which policy a server is built with. In core/,
/// below the policies, so that the lab and the bench name executors from the same table.
#include <string_view>

#include "core/names.hpp"

namespace primeloop {

/// Where the CPU work of a request runs (--executor).
enum class executor_kind { inline_, threads, processes };

/// The executors' names, in the order help texts list them. Each policy's `name` is its row
/// here (checked where server/main.cpp picks the policy).
inline constexpr names_table<executor_kind, 3> executor_names{{
    {executor_kind::inline_, "inline"},
    {executor_kind::threads, "threads"},
    {executor_kind::processes, "processes"},
}};

/// The executor's name in executor_names.
[[nodiscard]] constexpr std::string_view to_string(executor_kind k) noexcept {
  return name_of(executor_names, k);
}

}  // namespace primeloop
