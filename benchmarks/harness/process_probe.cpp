#include "benchmarks/harness/process_probe.hpp"

#include "benchmarks/harness/proc_stat.hpp"
#include "benchmarks/harness/spawn.hpp"
#include "clients/connect.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>

namespace primeloop::harness {
namespace {

using clock = std::chrono::steady_clock;

std::chrono::nanoseconds to_ns(const timeval& tv) {
  return std::chrono::seconds{tv.tv_sec} + std::chrono::microseconds{tv.tv_usec};
}

/// se.sum_exec_runtime of one task, in ms with six decimals; nullopt without CONFIG_SCHED_DEBUG.
std::optional<std::chrono::nanoseconds> task_runtime(const std::filesystem::path& sched) {
  std::ifstream f(sched);
  for (std::string line; std::getline(f, line);) {
    if (!line.starts_with("se.sum_exec_runtime")) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) return std::nullopt;
    const double ms = std::strtod(line.c_str() + colon + 1, nullptr);
    return std::chrono::nanoseconds{static_cast<std::int64_t>(ms * 1e6)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> proc_status_value(pid_t pid, std::string_view field) {
  std::ifstream f(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(f, line);) {
    if (line.size() > field.size() && line.starts_with(field) && line[field.size()] == ':') {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return std::nullopt;
}

std::size_t open_fd_count(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", pid), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

std::optional<std::chrono::nanoseconds> process_cpu_time(pid_t pid) {
  // Threads that ended are in the process's stat and no longer in task/: a pool's threads live
  // as long as the server, so the per-task sum misses nothing the benchmark measures.
  std::error_code ec;
  std::chrono::nanoseconds sum{0};
  bool any = false;
  for (const auto& task :
       std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    const auto t = task_runtime(task.path() / "sched");
    if (!t) {
      any = false;
      break;
    }
    sum += *t;
    any = true;
  }
  if (any) return sum;
  // Without per-task runtimes: the process's ticks (10 ms each).
  const auto st = harness::read_proc_stat(pid);
  if (!st) return std::nullopt;
  return harness::ticks_to_duration(st->cpu_ticks());
}

asio::awaitable<command_run> run_timed(std::vector<std::string> argv) {
  namespace net = asio;
  using clients::use_tuple;
  const auto ex = co_await net::this_coro::executor;
  const auto start = clock::now();
  const auto child = harness::spawn(argv, {.stderr_to_pipe = false});
  net::posix::stream_descriptor out(ex, child.output);
  command_run run;
  auto [ec, n] = co_await net::async_read(out, net::dynamic_buffer(run.output), net::transfer_all(),
                                          use_tuple);
  run.time.wall = clock::now() - start;  // the end of its output: it has exited, or is about to
  out.close(ec);
  int status = 0;
  rusage usage{};
  net::steady_timer timer(ex);
  for (auto pause = std::chrono::milliseconds{1};;
       pause = std::min(pause * 2, decltype(pause){20})) {
    pid_t r = 0;
    while ((r = ::wait4(child.pid, &status, WNOHANG, &usage)) < 0 && errno == EINTR) {
    }
    if (r == child.pid) break;
    if (r < 0) harness::throw_errno("wait4");
    timer.expires_after(pause);
    co_await timer.async_wait(use_tuple);
  }
  run.time.cpu = to_ns(usage.ru_utime) + to_ns(usage.ru_stime);
  run.exit_status = harness::exit_status(status);
  co_return run;
}

std::filesystem::path find_on_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const auto dir = dirs.substr(0, colon);
    if (!dir.empty()) {
      const auto candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return {};
}

}  // namespace primeloop::harness
