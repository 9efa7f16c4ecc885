// primeloop-threaded: the lesson's second stage, one thread per connection.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "benchmarks/reference/threaded_server.hpp"

int main(int argc, char** argv) {
  using namespace primeloop::reference;
  const auto parsed = parse_reference_options(reference_kind::threaded, argc, argv);
  if (!parsed.options) return parsed.exit_code;
  try {
    return run_threaded_server(*parsed.options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "primeloop-threaded: {}\n", e.what());
    return 1;
  }
}
