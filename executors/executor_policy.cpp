#include "executors/executor_policy.hpp"

#include <thread>

namespace primeloop::executors {

std::size_t resolve_workers(const executor_config& config) noexcept {
  if (config.workers != 0) return config.workers;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

}  // namespace primeloop::executors
