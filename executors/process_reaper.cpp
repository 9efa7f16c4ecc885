#include "executors/process_reaper.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

namespace primeloop::executors {

process_reaper::process_reaper(asio::any_io_executor loop, std::function<void(pid_t)> reaped)
    : sigchld_(std::move(loop), SIGCHLD), reaped_(std::move(reaped)) {
  wait_signal();
}

process_reaper::~process_reaper() {
  wait_all();
}

void process_reaper::watch(pid_t pid) {
  // SIGCHLD is watched from construction, before the first fork: a child that dies at once
  // is reaped at the next signal handler, which runs after this.
  children_.push_back(pid);
}

void process_reaper::wait_signal() {
  sigchld_.async_wait([this](asio::error_code ec, int) {
    if (ec || stopped_) return;
    reap();
    wait_signal();
  });
}

void process_reaper::reap() {
  std::erase_if(children_, [this](pid_t pid) {
    int st = 0;
    pid_t got = 0;
    while ((got = ::waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR) {
    }
    // got < 0 (ECHILD): somebody else reaped it after all; it is gone either way.
    if (got == 0) return false;
    if (reaped_) reaped_(pid);
    return true;
  });
}

void process_reaper::wait_all() {
  if (!stopped_) {
    stopped_ = true;
    asio::error_code ignored;
    sigchld_.cancel(ignored);
  }
  for (const pid_t pid : children_) {
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  children_.clear();
}

}  // namespace primeloop::executors
