#include "benchmarks/harness/process_probe.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace primeloop::lab {
namespace {

using clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

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

/// utime + stime of /proc/<pid>/stat (every thread, clock ticks), in ns.
std::optional<std::chrono::nanoseconds> stat_cpu(pid_t pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(f, line)) return std::nullopt;
  // Fields after the command (which may hold spaces, hence the last ')'), from field 3 (state);
  // utime and stime are fields 14 and 15.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return std::chrono::nanoseconds{static_cast<std::int64_t>(
      (utime + stime) * 1'000'000'000ull / static_cast<unsigned long long>(ticks))};
}

}  // namespace

std::optional<std::uint64_t> proc_status_kib(pid_t pid, std::string_view field) {
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
  return stat_cpu(pid);
}

command_run run_timed(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  const auto start = clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(fds[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    const auto msg = fmt::format("cannot run {}: {}\n", argv[0], std::strerror(errno));
    [[maybe_unused]] auto w = ::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(fds[1]);
  command_run run;
  char buf[4096];
  for (;;) {
    const auto n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      run.output.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  run.time.wall = clock::now() - start;
  run.time.cpu = to_ns(usage.ru_utime) + to_ns(usage.ru_stime);
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
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

}  // namespace primeloop::lab
