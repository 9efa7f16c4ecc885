// primeloop-server: parse flags, build the server for the chosen executor, run it.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "executors/inline_executor.hpp"
#include "executors/process_pool_executor.hpp"
#include "executors/thread_pool_executor.hpp"
#include "server/options.hpp"
#include "server/server.hpp"

namespace {

template <primeloop::executors::executor_policy Policy>
int serve(const primeloop::server_options& options) {
  primeloop::server<Policy> s(options);
  return s.run();
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = primeloop::parse_server_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const auto& options = *parsed.options;
  try {
    using primeloop::executor_kind;
    switch (options.executor) {
      case executor_kind::inline_:
        return serve<primeloop::executors::inline_executor>(options);
      case executor_kind::threads:
        return serve<primeloop::executors::thread_pool_executor>(options);
      case executor_kind::processes:
        return serve<primeloop::executors::process_pool_executor>(options);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "primeloop-server: {}\n", e.what());
  }
  return 1;
}
