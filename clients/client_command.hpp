#pragma once
/// primeloop-client as a command: its flags (one-shot or load mode) and a run on one
/// io_context. The executable's main only calls these two.
#include <optional>
#include <string>
#include <vector>

#include "clients/load_generator.hpp"
#include "clients/one_shot.hpp"
#include "clients/report.hpp"

namespace primeloop::clients {

/// What the command line asked for: one-shot when requests is not empty, load otherwise.
struct client_command {
  std::vector<std::string> requests;           ///< one-shot: the n values, as typed
  one_shot_config one_shot;                    ///< one-shot: where and how long to wait
  load_config load;                            ///< load mode
  output_format format = output_format::text;  ///< load mode's output
  bool no_spinner = false;  ///< one-shot: never draw the spinner, even on a terminal
};

/// Parses primeloop-client's flags. Returns nullopt when the program should exit (--help, a bad
/// flag, one-shot and load flags mixed) with exit_code set.
[[nodiscard]] std::optional<client_command> parse_client_flags(int argc, char** argv,
                                                               int& exit_code);

/// Runs the command; returns the exit status: 0, or 1 when the server cannot be reached, answers
/// ERR, or a load connection fails (the reason goes to stderr).
[[nodiscard]] int run_client_command(const client_command& cmd);

}  // namespace primeloop::clients
