#include "executors/executor_policy.hpp"

#include "executors/connection_share.hpp"

#include <algorithm>
#include <thread>

namespace primeloop::executors {

std::size_t resolve_workers(const executor_config& config) noexcept {
  if (config.workers != 0) return config.workers;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

std::size_t connection_share_of(const executor_config& config, std::size_t workers) noexcept {
  if (config.connection_limit != 0) return config.connection_limit;
  return std::max<std::size_t>(1, config.queue_limit / 4) + workers;
}

}  // namespace primeloop::executors
