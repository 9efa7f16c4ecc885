#pragma once
/// The one place the executor policy is bound. The policy stays a compile-time choice (the
/// concept in executors/executor_policy.hpp; --executor picks the instantiation in
/// server/main.cpp), and the rest of the server is ordinary compiled code that reaches it
/// through executor_binding: the dispatcher's two calls and the four only the server makes.
#include <memory>
#include <string_view>

#include <asio/any_io_executor.hpp>

#include "executors/executor_policy.hpp"
#include "server/dispatcher.hpp"

namespace primeloop {

/// An executor policy as the server sees it.
class executor_binding : public dispatcher {
 public:
  virtual ~executor_binding() = default;
  /// The policy's row of the names table: inline, threads or processes.
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  [[nodiscard]] virtual executors::pool_stats stats() const = 0;
  /// Completes every outstanding computation now with error e (shutdown past the grace).
  virtual void abort_all(errc e) = 0;
  /// Stops the workers and waits for them; again does nothing.
  virtual void stop() = 0;
};

/// Policy behind executor_binding.
template <executors::executor_policy Policy>
class bound_policy final : public executor_binding {
 public:
  bound_policy(const asio::any_io_executor& ex, const executors::executor_config& config)
      : policy_(ex, config) {}
  bool submit(std::uint64_t n, executors::result_sink& sink, std::uint64_t tag) override {
    return policy_.submit(n, sink, tag);
  }
  void cancel_all(executors::result_sink& sink) override { policy_.cancel_all(sink); }
  std::string_view name() const noexcept override { return Policy::name; }
  executors::pool_stats stats() const override { return policy_.stats(); }
  void abort_all(errc e) override { policy_.abort_all(e); }
  void stop() override { policy_.stop(); }

 private:
  Policy policy_;
};

/// How the server builds its policy: on the loop's executor, once its options are final (the
/// process pool forks here, before any thread or socket of the server exists).
using policy_factory = std::unique_ptr<executor_binding> (*)(const asio::any_io_executor&,
                                                             const executors::executor_config&);

/// The factory of Policy.
template <executors::executor_policy Policy>
std::unique_ptr<executor_binding> bind_policy(const asio::any_io_executor& ex,
                                              const executors::executor_config& config) {
  return std::make_unique<bound_policy<Policy>>(ex, config);
}

}  // namespace primeloop
