#pragma once
/// What a connection needs of the executor policy, behind two virtual calls: connections are
/// ordinary classes (tests/connection.tests.cpp drives one with a fake), and the policy is bound
/// in one place (server/bound_policy.hpp).
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

}  // namespace primeloop
