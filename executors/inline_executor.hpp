#pragma once
/// The inline policy: the computation runs on the loop thread and blocks it. Every other client
/// waits until it is done: that is the lesson.
#include "executors/executor_policy.hpp"

namespace primeloop::executors {

/// Computes on the caller's (the loop's) thread inside submit().
class inline_executor {
 public:
  static constexpr std::string_view name = "inline";

  inline_executor(asio::any_io_executor loop, const executor_config& config);

  /// Computes now and calls sink.on_result before returning. Never refuses.
  bool submit(std::uint64_t n, result_sink& sink, std::uint64_t tag);
  /// Nothing is ever outstanding: the computation finished inside submit().
  void cancel_all(result_sink& sink);
  void abort_all(errc e);
  void stop();
  [[nodiscard]] pool_stats stats() const;

 private:
  workload work_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds grace_;
  const shutdown_flag* shutdown_;
  gil* lock_;  // --gil: the loop holds it around submit(); computations hand it over on request
};

static_assert(executor_policy<inline_executor>);

}  // namespace primeloop::executors
