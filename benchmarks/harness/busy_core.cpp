#include "benchmarks/harness/busy_core.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace primeloop::lab {
namespace {

using clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what, int error) {
  throw std::runtime_error(
      fmt::format("cannot start the busy-core stand-in: {}: {}", what, std::strerror(error)));
}

/// Reads until the child's line arrives, the pipe ends or the deadline passes. True on the line.
bool wait_for_line(int fd, std::chrono::milliseconds deadline) {
  const auto until = clock::now() + deadline;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char c = 0;
    const auto n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // the child exited (or exec failed) before spinning
    if (c == '\n') return true;
  }
}

}  // namespace

busy_core::busy_core(int nice, std::chrono::milliseconds deadline) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2", errno);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    fail("fork", e);
  }
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec: the parent may have threads.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed lab leaves no spinner behind
    if (::getppid() != parent) ::_exit(127);
    ::setpriority(PRIO_PROCESS, 0, nice);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(fds[1], 1);  // the pipe loses O_CLOEXEC in the copy
    if (null >= 0) ::dup2(null, 2);
    // Nothing else of the parent's: its sockets stay the parent's alone.
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    // The loop is the shell's own builtins: user time on one core, no system calls.
    const char* args[] = {"/bin/sh", "-c", "echo spinning; while :; do :; done", nullptr};
    ::execv(args[0], const_cast<char* const*>(args));
    ::_exit(127);
  }
  ::close(fds[1]);
  const bool spinning = wait_for_line(fds[0], deadline);
  ::close(fds[0]);
  if (!spinning) {
    stop();
    throw std::runtime_error(fmt::format(
        "the busy-core stand-in (/bin/sh) did not start spinning within {} ms", deadline.count()));
  }
}

busy_core::~busy_core() {
  stop();
}

void busy_core::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace primeloop::lab
