#pragma once
/// One round of a race between the server and a reference command (primesieve, primecount):
/// the server's answer timed on the client and on its process's CPU clock, the command's
/// checked against it and timed by its rusage. The sieve and the fast phases share it.
#include <sys/types.h>
#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/harness/process_probe.hpp"
#include "clients/one_shot.hpp"

namespace primeloop::lab::detail {

/// The server's answer to one request and what it cost.
struct timed_answer {
  std::string answer;  ///< the reply line
  timing time;         ///< wall on the client; CPU of the server process (every thread)
};

/// Asks the server (ask.port, process pid) for n once and times it.
[[nodiscard]] asio::awaitable<timed_answer> time_server_answer(clients::one_shot_config ask,
                                                               pid_t pid, std::string n);

/// Runs cmd once and checks that its first line is server_answer; returns its times. Throws
/// std::runtime_error when it fails or disagrees ("<context>the server answered A and <name>
/// B").
[[nodiscard]] timing run_reference(const std::vector<std::string>& cmd,
                                   const std::string& server_answer, std::string_view name,
                                   std::string_view context);

/// Keeps in best the lower wall and the lower CPU time of best and t (t when best is empty).
void keep_best(std::optional<timing>& best, const timing& t);

}  // namespace primeloop::lab::detail
