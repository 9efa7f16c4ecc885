#pragma once
// What the executors' in-process tests share: a result sink that records what it hears, and
// on which thread.
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "executors/executor_policy.hpp"

namespace primeloop::test {

/// One call of on_result.
struct heard {
  std::uint64_t tag = 0;
  executors::outcome result;
  std::thread::id thread;
};

/// A connection as a policy sees it: it records every answer.
struct recording_sink final : executors::result_sink {
  std::vector<heard> got;
  void on_result(std::uint64_t tag, executors::outcome result) override {
    got.push_back({tag, result, std::this_thread::get_id()});
  }
};

/// Every setting at its default but the pool's size, the queue's bound and a connection's share
/// of it (0: the default).
inline executors::executor_config config_with(std::size_t workers, std::size_t queue_limit,
                                              std::size_t connection_limit = 0) {
  executors::executor_config config;
  config.workers = workers;
  config.queue_limit = queue_limit;
  config.connection_limit = connection_limit;
  return config;
}

/// naive n = 10^6 takes hours: a computation that ends only when it is stopped.
inline constexpr std::uint64_t endless_n = 1'000'000;

}  // namespace primeloop::test
