#include "benchmarks/harness/busy_core.hpp"

#include "benchmarks/harness/spawn.hpp"

#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace primeloop::harness {
namespace {

using clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(fmt::format("cannot start the busy-core stand-in: {}", what));
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
  harness::spawned child;
  try {
    // The loop is the shell's own builtins: user time on one core, no system calls. A crashed
    // lab leaves no spinner behind; nothing else of the parent's (its sockets) goes with it.
    child = harness::spawn({"/bin/sh", "-c", "echo spinning; while :; do :; done"},
                           {.die_with_parent = true,
                            .stderr_to_pipe = false,
                            .stderr_to_null = true,
                            .close_other_fds = true,
                            .nice = nice});
  } catch (const std::system_error& e) {
    fail(e.what());
  }
  pid_ = child.pid;
  const bool spinning = wait_for_line(child.output, deadline);
  ::close(child.output);
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
  harness::kill_and_reap(pid_);
  pid_ = -1;
}

}  // namespace primeloop::harness
