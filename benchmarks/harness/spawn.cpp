#include "benchmarks/harness/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace primeloop::harness {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// Both ends of a pipe, closed on scope exit unless released.
struct pipe_fds {
  int read = -1;
  int write = -1;
  pipe_fds() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
    read = fds[0];
    write = fds[1];
  }
  ~pipe_fds() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
  pipe_fds(const pipe_fds&) = delete;
  pipe_fds& operator=(const pipe_fds&) = delete;
  void close_write() {
    ::close(write);
    write = -1;
  }
};

/// The child's side, between fork and exec: async-signal-safe calls only (no allocation, no
/// locks another thread of the parent may have held at the fork).
[[noreturn]] void exec_child(char* const* args, const spawn_options& options, int output,
                             int status, pid_t parent) {
  // exec keeps the signal mask and ignored signals: a parent thread that blocks SIGTERM, or a
  // test runner that ignores SIGPIPE, would hand that on, and a server would not stop on SIGTERM.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  if (options.own_process_group) ::setpgid(0, 0);
  if (options.die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took hold
  }
  if (options.nice != 0) ::setpriority(PRIO_PROCESS, 0, options.nice);
  const int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) ::dup2(null, 0);
  ::dup2(output, 1);
  if (options.stderr_to_pipe) ::dup2(output, 2);
  if (!options.stderr_to_pipe && options.stderr_to_null && null >= 0) ::dup2(null, 2);
  // The status pipe must stay open until exec (it is close-on-exec): close everything above it.
  if (options.close_other_fds) {
    ::syscall(SYS_close_range, 3U, static_cast<unsigned>(status) - 1U, 0U);
    ::syscall(SYS_close_range, static_cast<unsigned>(status) + 1U, ~0U, 0U);
  }
  ::execv(args[0], args);
  const int err = errno;
  [[maybe_unused]] const auto w = ::write(status, &err, sizeof err);
  ::_exit(127);
}

}  // namespace

void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

int exit_status(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

spawned spawn(const std::vector<std::string>& argv, const spawn_options& options) {
  if (argv.empty()) throw std::invalid_argument("spawn: no program given");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pipe_fds output;
  pipe_fds status;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) exec_child(args.data(), options, output.write, status.write, parent);
  // Also here: whichever of parent and child runs first, the group exists before anyone signals.
  if (options.own_process_group) ::setpgid(pid, pid);
  output.close_write();
  status.close_write();
  // End of file: exec succeeded and closed the status pipe. An int: exec's errno.
  int err = 0;
  ssize_t n = 0;
  while ((n = ::read(status.read, &err, sizeof err)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof err)) {
    int ignored = 0;
    while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    throw std::system_error(err, std::generic_category(), fmt::format("cannot run {}", argv[0]));
  }
  spawned child{pid, output.read};
  output.read = -1;
  return child;
}

std::optional<int> try_reap(pid_t pid) {
  int st = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r < 0) throw_errno("waitpid");
  if (r == 0) return std::nullopt;
  return exit_status(st);
}

std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds deadline) {
  const auto until = clock::now() + deadline;
  for (auto pause = 1ms;; pause = std::min(pause * 2, std::chrono::milliseconds{50})) {
    if (auto st = try_reap(pid)) return st;
    if (clock::now() >= until) return std::nullopt;
    ::poll(nullptr, 0, static_cast<int>(pause.count()));
  }
}

void kill_and_reap(pid_t pid, bool group) noexcept {
  if (pid <= 0) return;
  ::kill(group ? -pid : pid, SIGKILL);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace primeloop::harness
