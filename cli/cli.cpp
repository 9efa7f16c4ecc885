#include "cli/cli.hpp"

#include <array>
#include <cstdio>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "cli/help_formatter.hpp"
#include "cli/validators.hpp"
#include "primeloop/version.hpp"

namespace primeloop::cli {

namespace {

/// Every short flag of every program, with the one long flag it stands for. -e names the
/// executor to serve with (server) or the executors to compare (lab, bench): one meaning.
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> short_flags{{
    {"--port", "-p"},
    {"--bind", "-b"},
    {"--host", "-H"},
    {"--executor", "-e"},
    {"--executors", "-e"},
    {"--workers", "-w"},
    {"--connections", "-c"},
    {"--duration", "-d"},
    {"--rounds", "-r"},
    {"--out", "-o"},
    {"--help", "-h"},
}};

/// The help's left column: wide enough for "--max-connections UINT:1-16777216=16384".
constexpr std::size_t help_column = 40;

/// "--executors threads+gil5: ..." from CLI11's "--executors: threads+gil5: ...": the checks in
/// validators.hpp start their message with the value, CLI11 puts the flag and ": " in front.
std::string validation_line(const CLI::ValidationError& e) {
  std::string line = e.what();
  const auto colon = line.find(": ");
  if (line.starts_with('-') && colon != std::string::npos) line.replace(colon, 2, " ");
  return line;
}

/// The line for arguments nobody asked for: the first one, and the flag it may misspell.
std::string extras_line(const CLI::App& app) {
  const auto extras = app.remaining();
  if (extras.empty()) return "unexpected arguments";
  const std::string& first = extras.front();
  if (!first.starts_with('-')) return fmt::format("{}: unexpected argument", first);
  std::vector<std::string> names;
  for (const auto* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
  }
  const auto typed = first.substr(0, first.find('='));
  const auto guess = closest(typed, names);
  if (!guess.empty()) return fmt::format("{}: unknown flag; did you mean {}?", typed, guess);
  return fmt::format("{}: unknown flag ({} --help lists them)", typed, app.get_name());
}

}  // namespace

usage_error::usage_error(std::string_view flag, std::string_view value, std::string_view accepted)
    : std::runtime_error(fmt::format("{} {}: {}", flag, value, accepted)) {}

usage_error::usage_error(const std::string& line) : std::runtime_error(line) {}

void setup(CLI::App& app, std::string program) {
  app.name(program);
  app.set_help_flag(flag("--help"), "Print this help and exit");
  app.set_version_flag("--version",
                       fmt::format("{} {} (commit {}{})", program, primeloop::version,
                                   primeloop::build_commit(), primeloop::event_loop_note),
                       "Print the program's name and version and exit");
  app.formatter(std::make_shared<help_formatter>(width, help_column));
}

std::string flag(std::string_view long_name) {
  for (const auto& [l, s] : short_flags) {
    if (l == long_name) return fmt::format("{},{}", long_name, s);
  }
  return std::string(long_name);
}

std::optional<int> parse(CLI::App& app, int argc, const char* const* argv,
                         const std::function<void()>& check) {
  try {
    app.parse(argc, argv);
    if (check) check();
    return std::nullopt;
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", app.help());
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    fmt::print("{}", app.help("", CLI::AppFormatMode::All));
    return 0;
  } catch (const CLI::CallForVersion& e) {
    fmt::print("{}\n", e.what());
    return 0;
  } catch (const CLI::ExtrasError&) {
    return report_usage_error(app, extras_line(app));
  } catch (const CLI::ValidationError& e) {
    return report_usage_error(app, validation_line(e));
  } catch (const CLI::ArgumentMismatch& e) {
    // CLI11 says "--port: 1 required UINT:0-65535 missing" when a flag ends the command line.
    const std::string what = e.what();
    const auto colon = what.find(": ");
    if (colon != std::string::npos && what.ends_with(" missing")) {
      return report_usage_error(app, what.substr(0, colon) + ": needs a value");
    }
    return report_usage_error(app, what);
  } catch (const CLI::ParseError& e) {
    return report_usage_error(app, e.what());
  } catch (const usage_error& e) {
    return report_usage_error(app, e.what());
  }
}

void only_with(const CLI::App& app, std::string_view flag, std::string_view needed,
               std::string_view what) {
  const auto* opt = app.get_option(std::string(flag));
  if (opt->count() == 0 || app.get_option(std::string(needed))->count() > 0) return;
  const auto& values = opt->results();
  const std::string given = values.empty() || opt->get_expected_min() == 0
                                ? std::string(flag)
                                : fmt::format("{} {}", flag, values.back());
  throw usage_error(fmt::format("{}: means nothing without {} ({})", given, needed, what));
}

int report_usage_error(const CLI::App& app, std::string_view line) {
  fmt::print(stderr, "{}: {}\n", app.get_name(), line);
  return usage_exit;
}

}  // namespace primeloop::cli
