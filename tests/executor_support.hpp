#pragma once
// What the executors' in-process tests share: a result sink that records what it hears, and
// on which thread.
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

/// naive n = 10^6 takes hours: a computation that ends only when it is stopped.
inline constexpr std::uint64_t endless_n = 1'000'000;

}  // namespace primeloop::test
