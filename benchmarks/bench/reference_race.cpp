#include "benchmarks/bench/reference_race.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace primeloop::lab::detail {

asio::awaitable<timed_answer> time_server_answer(clients::one_shot_config ask, pid_t pid,
                                                 std::string n) {
  using clock = std::chrono::steady_clock;
  // The server's CPU time over the request: its loop and the thread that computed.
  const auto cpu_before = process_cpu_time(pid);
  const auto start = clock::now();
  const auto replies = co_await clients::ask(ask, std::vector<std::string>(1, n));
  const timing t{clock::now() - start, process_cpu_time(pid).value_or(std::chrono::nanoseconds{0}) -
                                           cpu_before.value_or(std::chrono::nanoseconds{0})};
  co_return timed_answer{replies.at(0), t};
}

timing run_reference(const std::vector<std::string>& cmd, const std::string& server_answer,
                     std::string_view name, std::string_view context) {
  const auto run = run_timed(cmd);
  if (run.exit_status != 0) {
    throw std::runtime_error(
        fmt::format("'{}' exited with {}", fmt::join(cmd, " "), run.exit_status));
  }
  const auto answer = run.output.substr(0, run.output.find_first_of("\r\n"));
  if (answer != server_answer) {
    throw std::runtime_error(
        fmt::format("{}the server answered {} and {} {}", context, server_answer, name, answer));
  }
  return run.time;
}

void keep_best(std::optional<timing>& best, const timing& t) {
  if (!best) best = t;
  best->wall = std::min(best->wall, t.wall);
  best->cpu = std::min(best->cpu, t.cpu);
}

}  // namespace primeloop::lab::detail
