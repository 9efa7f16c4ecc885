#pragma once
/// Checks for flag values whose messages follow the usage-error convention: they name the value
/// and what is accepted ("70000: must be 1-65535"); cli::parse() puts the flag in front. They run
/// before CLI11 converts the text, so a value out of a type's range never reaches a cast.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli.hpp"
#include "core/names.hpp"

namespace primeloop::cli {

/// A whole number from lo to hi. `note` explains a special value ("0: any free port").
[[nodiscard]] CLI::Validator range(std::int64_t lo, std::int64_t hi, std::string note = {});
/// A whole number from lo to hi, for the unsigned 64-bit flags.
[[nodiscard]] CLI::Validator range_u64(std::uint64_t lo, std::uint64_t hi, std::string note = {});

/// The longest duration any flag accepts: a day, far inside what a millisecond count can hold.
inline constexpr double max_seconds = 86'400;
/// A number of `unit` from lo to hi (fractions allowed; not NaN, not infinite).
[[nodiscard]] CLI::Validator decimal(double lo, double hi, std::string_view unit,
                                     std::string note = {});
/// A number of seconds from lo to hi: decimal(lo, hi, "seconds").
[[nodiscard]] CLI::Validator seconds(double lo = 0, double hi = max_seconds, std::string note = {});

/// Seconds as read by a seconds() flag, rounded to milliseconds. Clamped to 0..max_seconds (NaN:
/// 0), so the conversion to an integer count is defined whatever value reaches it.
[[nodiscard]] std::chrono::milliseconds milliseconds_of(double seconds);
/// The same, rounded to microseconds.
[[nodiscard]] std::chrono::microseconds microseconds_of(double seconds);

/// One of `names`; otherwise "unknown <what>; did you mean <closest>?" or the list of names.
[[nodiscard]] CLI::Validator one_of(std::vector<std::string> names, std::string what);

/// The name in `names` that `typed` most likely misspells, or empty when none is close.
[[nodiscard]] std::string closest(std::string_view typed, const std::vector<std::string>& names);

/// "a, b or c".
[[nodiscard]] std::string list_or(const std::vector<std::string>& names);

/// An option whose value is one of table's names, stored as the enum. Its help shows the names
/// and the current value as the default.
template <class E, std::size_t N>
CLI::Option* add_enum_option(CLI::App& app, std::string_view long_name, E& value,
                             const names_table<E, N>& table, std::string what,
                             std::string description) {
  auto* opt = app.add_option_function<std::string>(
      flag(long_name), [&value, &table](const std::string& s) { value = *value_named(table, s); },
      std::move(description));
  opt->check(one_of(names_of(table), std::move(what)));
  opt->default_str(std::string(name_of(table, value)));
  return opt;
}

}  // namespace primeloop::cli
