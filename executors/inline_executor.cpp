#include "executors/inline_executor.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

namespace primeloop::executors {

inline_executor::inline_executor(asio::any_io_executor /*loop*/, const executor_config& config)
    : work_(config.work),
      timeout_(config.request_timeout),
      grace_(config.grace),
      watch_from_n_(first_costly_n(config.work)) {}

namespace {

using clock = std::chrono::steady_clock;

/// What the interrupt check of an inline computation watches. The loop thread is blocked, so
/// nothing else can tell it to stop: it looks for itself, every few thousand steps.
struct inline_watch {
  clock::time_point deadline = clock::time_point::max();  // --request-timeout
  std::chrono::milliseconds grace{};
  bool watch_signals = false;
  sigset_t signals{};
  int shutdown_signal = 0;  // SIGINT/SIGTERM taken while computing
  clock::time_point shutdown_at = clock::time_point::max();
  errc stopped_for{};

  static bool poll(void* ctx) {
    auto* self = static_cast<inline_watch*>(ctx);
    const auto now = clock::now();
    if (now >= self->deadline) {
      self->stopped_for = errc::timeout;
      return true;
    }
    if (self->watch_signals) {
      // SIGINT/SIGTERM are blocked on this thread while it computes, so they wait as pending.
      const timespec zero{0, 0};
      if (const int sig = ::sigtimedwait(&self->signals, nullptr, &zero); sig > 0) {
        if (self->shutdown_signal != 0) {
          // A second signal: leave now, as the server does when its loop is free.
          static constexpr char msg[] = "primeloop-server: second signal, exiting now\n";
          [[maybe_unused]] const auto w = ::write(2, msg, sizeof msg - 1);
          ::_exit(1);
        }
        self->shutdown_signal = sig;
        self->shutdown_at = now + self->grace;
      }
      if (now >= self->shutdown_at) {
        self->stopped_for = errc::shutting_down;
        return true;
      }
    }
    return false;
  }
};

}  // namespace

bool inline_executor::submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
  inline_watch watch;
  if (timeout_.count() > 0) watch.deadline = clock::now() + timeout_;
  watch.grace = grace_;
  // A cheap computation (about a millisecond) is over before anyone could notice the freeze.
  watch.watch_signals = n >= watch_from_n_;
  sigset_t old;
  if (watch.watch_signals) {
    // While the loop is frozen, asio's signal handler could only note a signal for later; so
    // SIGINT/SIGTERM stay pending and the computation's check takes them (inline_watch::poll).
    sigemptyset(&watch.signals);
    sigaddset(&watch.signals, SIGINT);
    sigaddset(&watch.signals, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &watch.signals, &old);
  }
  const bool watched = watch.watch_signals;
  const auto value = nth_prime(work_, n, {&inline_watch::poll, &watch});
  if (watched) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    // Hand a signal taken during the computation back to the loop's normal shutdown path.
    if (watch.shutdown_signal != 0) ::raise(watch.shutdown_signal);
  }
  sink.on_result(tag, value ? outcome{*value, errc{}} : outcome{0, watch.stopped_for});
  return true;
}

void inline_executor::cancel_all(result_sink& /*sink*/) {}
void inline_executor::abort_all(errc /*e*/) {}
void inline_executor::stop() {}
pool_stats inline_executor::stats() const { return {0, 0, 1, 0}; }

}  // namespace primeloop::executors
