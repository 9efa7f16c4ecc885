// primeloop-server: parse flags, build the server for the chosen executor, run it.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "executors/adaptive_executor.hpp"
#include "executors/inline_executor.hpp"
#include "executors/process_pool_executor.hpp"
#include "executors/thread_pool_executor.hpp"
#include "server/options.hpp"
#include "server/server.hpp"

namespace {

namespace ex = primeloop::executors;
using primeloop::executor_kind;

// Each policy answers to its row of the names table (--executor, the listening line).
static_assert(ex::inline_executor::name == to_string(executor_kind::inline_));
static_assert(ex::thread_pool_executor::name == to_string(executor_kind::threads));
static_assert(ex::process_pool_executor::name == to_string(executor_kind::processes));

template <ex::executor_policy Policy>
int serve(const primeloop::server_options& options) {
  primeloop::server s(options, primeloop::bind_policy<Policy>);
  return s.run();
}

/// A pool, or the pool behind adaptive offload when --offload-above keeps cheap work on the loop.
template <primeloop::executors::executor_policy Pool>
int serve_pool(const primeloop::server_options& options) {
  if (options.pool.offload_above > 0) {
    return serve<primeloop::executors::adaptive_executor<Pool>>(options);
  }
  return serve<Pool>(options);
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = primeloop::parse_server_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const auto& options = *parsed.options;
  try {
    switch (options.executor) {
      case executor_kind::inline_:
        return serve<ex::inline_executor>(options);
      case executor_kind::threads:
        return serve_pool<ex::thread_pool_executor>(options);
      case executor_kind::processes:
        return serve_pool<ex::process_pool_executor>(options);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "primeloop-server: {}\n", e.what());
  }
  return 1;
}
