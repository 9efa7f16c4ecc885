#include "executors/inline_executor.hpp"

#include "executors/gil.hpp"

namespace primeloop::executors {

inline_executor::inline_executor(asio::any_io_executor /*loop*/, const executor_config& config)
    : work_(config.work),
      timeout_(config.request_timeout),
      grace_(config.grace),
      shutdown_(config.shutdown),
      lock_(config.lock) {}

namespace {

using clock = std::chrono::steady_clock;

/// What the interrupt check of an inline computation watches. The loop thread is blocked, so
/// nothing can tell it to stop: it looks for itself, every few thousand steps.
struct inline_watch {
  clock::time_point deadline = clock::time_point::max();  // --request-timeout
  std::chrono::milliseconds grace{};
  const shutdown_flag* shutdown = nullptr;  // set by the signal watcher's thread
  gil* lock = nullptr;  // --gil: held by the loop's event around submit(); pool threads may ask
  errc stopped_for{};

  static bool poll(void* ctx) {
    auto* self = static_cast<inline_watch*>(ctx);
    // The check point of the model's eval loop: a pool thread beside the loop (adaptive
    // offload) waiting for the lock gets it here, as from any computation.
    if (self->lock != nullptr) self->lock->yield_if_requested();
    const bool timed = self->deadline != clock::time_point::max();
    const bool watched =
        self->shutdown != nullptr && self->shutdown->requested.load(std::memory_order_acquire);
    if (!timed && !watched) return false;  // the common case: no clock read
    const auto now = clock::now();
    if (now >= self->deadline) {
      self->stopped_for = errc::timeout;
      return true;
    }
    if (watched) {
      // Work in flight has --grace to finish after SIGINT/SIGTERM, then ERR shutting down.
      const clock::time_point asked{
          clock::duration{self->shutdown->at_ns.load(std::memory_order_relaxed)}};
      if (now >= asked + self->grace) {
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
  watch.shutdown = shutdown_;
  watch.lock = lock_;
  const auto value = nth_prime(work_, n, {&inline_watch::poll, &watch});
  sink.on_result(tag, value ? outcome{*value, errc{}} : outcome{0, watch.stopped_for});
  return true;
}

void inline_executor::cancel_all(result_sink& /*sink*/) {}
void inline_executor::abort_all(errc /*e*/) {}
void inline_executor::stop() {}
pool_stats inline_executor::stats() const {
  return {0, 0, 1, 0};
}

}  // namespace primeloop::executors
