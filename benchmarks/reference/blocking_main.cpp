// primeloop-blocking: the lesson's first stage, one client at a time.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "benchmarks/reference/blocking_server.hpp"

int main(int argc, char** argv) {
  using namespace primeloop::reference;
  const auto parsed = parse_reference_options(reference_kind::blocking, argc, argv);
  if (!parsed.options) return parsed.exit_code;
  try {
    return run_blocking_server(*parsed.options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "primeloop-blocking: {}\n", e.what());
    return 1;
  }
}
