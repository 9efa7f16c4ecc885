#include "executors/inline_executor.hpp"

namespace primeloop::executors {

inline_executor::inline_executor(asio::any_io_executor /*loop*/, const executor_config& config)
    : work_(config.work), timeout_(config.request_timeout) {}

namespace {

struct deadline_check {
  std::chrono::steady_clock::time_point until;
  static bool poll(void* self) {
    return std::chrono::steady_clock::now() >= static_cast<deadline_check*>(self)->until;
  }
};

}  // namespace

bool inline_executor::submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
  // The loop thread is blocked for the whole computation; only a --request-timeout can end it
  // early (there is no other thread that could ask it to stop).
  deadline_check deadline{std::chrono::steady_clock::now() + timeout_};
  const interrupt_check check =
      timeout_.count() > 0 ? interrupt_check{&deadline_check::poll, &deadline} : interrupt_check{};
  const auto value = nth_prime(work_, n, check);
  sink.on_result(tag, value ? outcome{*value, errc{}} : outcome{0, errc::timeout});
  return true;
}

void inline_executor::cancel_all(result_sink& /*sink*/) {}
void inline_executor::abort_all(errc /*e*/) {}
void inline_executor::stop() {}
pool_stats inline_executor::stats() const { return {0, 0, 1, 0}; }

}  // namespace primeloop::executors
