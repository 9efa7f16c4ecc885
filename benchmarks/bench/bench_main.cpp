// primeloop-bench: every performance figure in one run (docs/performance.md): the
// throughput ratios to the baseline server, throughput and latency during a long request, memory
// with idle connections, and the sieve against primesieve.
#include "benchmarks/bench/bench_command.hpp"

int main(int argc, char** argv) {
  int status = 0;
  const auto config = primeloop::bench::parse_bench_flags(argc, argv, status);
  return config ? primeloop::bench::run_bench_command(*config) : status;
}
