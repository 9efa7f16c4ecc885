#include "server/signal_watcher.hpp"

#include <pthread.h>
#include <signal.h>

#include <chrono>

namespace primeloop {
namespace {

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // A closed terminal (SIGHUP) drains as SIGTERM does; SIGUSR1 means nothing to the server and
  // is taken and ignored, where its default would kill the process with no drain.
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

termination_signals_blocked::termination_signals_blocked() {
  const sigset_t set = termination_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

signal_watcher::signal_watcher(executors::shutdown_flag& flag, handler on_signal)
    : flag_(flag),
      on_signal_(std::move(on_signal)),
      thread_([this](std::stop_token stop) { run(stop); }) {}

signal_watcher::~signal_watcher() {
  thread_.request_stop();
  // Wakes the watcher at once: a signal aimed at its thread alone, which it sees as a stop.
  ::pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

void signal_watcher::run(std::stop_token stop) {
  const sigset_t set = termination_signals();
  int count = 0;
  for (;;) {
    const int sig = ::sigwaitinfo(&set, nullptr);
    if (stop.stop_requested()) return;         // the destructor's wake-up, not a user's signal
    if (sig <= 0 || sig == SIGUSR1) continue;  // EINTR, or the signal that means nothing
    if (++count == 1) {
      flag_.at_ns.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                        std::memory_order_relaxed);
      flag_.requested.store(true, std::memory_order_release);
    }
    on_signal_(sig, count);
  }
}

}  // namespace primeloop
