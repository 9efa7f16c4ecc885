#pragma once
/// What a session needs of the executor policy, behind one virtual call: sessions are ordinary
/// classes (and can be tested with a fake), and only server<Policy> is a template.
#include <cstdint>

#include "executors/executor_policy.hpp"

namespace primeloop {

/// Hands requests to the executor policy and takes them back (executors/executor_policy.hpp).
class dispatcher {
 public:
  /// Starts computing the nth prime; false when the queue is full (sink hears nothing then).
  /// sink.on_result may run before this returns.
  [[nodiscard]] virtual bool submit(std::uint64_t n, executors::result_sink& sink,
                                    std::uint64_t tag) = 0;
  /// Drops every computation of sink; it hears nothing more.
  virtual void cancel_all(executors::result_sink& sink) = 0;

 protected:
  ~dispatcher() = default;
};

/// The dispatcher of one policy object.
template <executors::executor_policy Policy>
class policy_dispatcher final : public dispatcher {
 public:
  explicit policy_dispatcher(Policy& policy) : policy_(policy) {}
  bool submit(std::uint64_t n, executors::result_sink& sink, std::uint64_t tag) override {
    return policy_.submit(n, sink, tag);
  }
  void cancel_all(executors::result_sink& sink) override { policy_.cancel_all(sink); }

 private:
  Policy& policy_;
};

}  // namespace primeloop
