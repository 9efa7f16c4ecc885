#include "terminal_support.hpp"

#include <poll.h>
#include <pty.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>

namespace primeloop::test {

namespace {

using clock = std::chrono::steady_clock;

milliseconds left_until(clock::time_point end) {
  return std::max(milliseconds{0}, std::chrono::duration_cast<milliseconds>(end - clock::now()));
}

}  // namespace

terminal_process::terminal_process(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  if (pid_ == 0) {
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

terminal_process::~terminal_process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (master_ >= 0) ::close(master_);
}

bool terminal_process::read_some(milliseconds left) {
  if (ended_) return false;
  pollfd p{master_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[4096];
  const auto n = ::read(master_, buf, sizeof buf);
  if (n <= 0) {  // EIO once the child closed the terminal
    ended_ = true;
    return false;
  }
  out_.append(buf, static_cast<std::size_t>(n));
  return true;
}

bool terminal_process::wait_for(std::string_view needle, milliseconds deadline) {
  const auto end = clock::now() + deadline;
  while (out_.find(needle) == std::string::npos) {
    if (!read_some(left_until(end))) return false;
  }
  return true;
}

const std::string& terminal_process::read_all(milliseconds deadline) {
  const auto end = clock::now() + deadline;
  while (read_some(left_until(end))) {
  }
  return out_;
}

std::optional<int> terminal_process::wait(milliseconds deadline) {
  if (status_) return status_;
  // The child's exit is an event to poll with the deadline: a pidfd becomes readable then.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd < 0) throw std::runtime_error("pidfd_open failed");
  pollfd p{pidfd, POLLIN, 0};
  const bool exited = ::poll(&p, 1, static_cast<int>(deadline.count())) > 0;
  ::close(pidfd);
  if (!exited) return std::nullopt;
  int st = 0;
  ::waitpid(pid_, &st, 0);
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return status_;
}

}  // namespace primeloop::test
