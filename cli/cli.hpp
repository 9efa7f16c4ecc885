#pragma once
/// One command-line convention for every primeloop program: --version prints "<program>
/// <version>", help fits 100 columns, a short flag means the same thing in every program, and a
/// usage error exits 2 with one line naming the flag, the value and what is accepted.
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace primeloop::cli {

/// The columns every help text, table and summary line fits in.
inline constexpr std::size_t width = 100;
/// The exit status of a command line that cannot work.
inline constexpr int usage_exit = 2;

/// A command line that cannot work. what() is the one line the user reads, without the program.
class usage_error : public std::runtime_error {
 public:
  /// "<flag> <value>: <accepted>", e.g. "--port 70000: must be 1-65535".
  usage_error(std::string_view flag, std::string_view value, std::string_view accepted);
  /// A line of its own, for errors that are not about one value.
  explicit usage_error(const std::string& line);
};

/// Names the app after the program and gives it the house conventions: --help and -h,
/// --version printing "<program> <version>", help wrapped to `width` columns.
void setup(CLI::App& app, std::string program);

/// The flag names for add_option: the long flag, and its short one from the table all programs
/// share ("--port" -> "--port,-p"). Flags without a short one come back as they are.
[[nodiscard]] std::string flag(std::string_view long_name);

/// Parses argv, then runs `check` (which may throw usage_error for what CLI11 cannot see, such
/// as two flags that exclude each other). Returns nullopt when the program should go on, or the
/// status to exit with: 0 after --help or --version, usage_exit after a usage error. What the
/// user needs to read is already printed (help and version to stdout, errors to stderr).
[[nodiscard]] std::optional<int> parse(CLI::App& app, int argc, const char* const* argv,
                                       const std::function<void()>& check = {});

/// For parse()'s check: refuses `flag` given without `needed`, since a flag that only means
/// something with another one would otherwise be accepted and change nothing. `what` says what
/// it is for: "--switch-interval 0.002: means nothing without --gil (<what>)".
void only_with(const CLI::App& app, std::string_view flag, std::string_view needed,
               std::string_view what);

/// Prints "<program>: <line>" to stderr and returns usage_exit: for usage errors found after
/// parse() (a missing file, say).
int report_usage_error(const CLI::App& app, std::string_view line);

}  // namespace primeloop::cli
