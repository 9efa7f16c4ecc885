// primeloop-bench: small-request throughput of each executor as a ratio of the baseline server,
// at 1, 16 and 64 connections, plus the offload round-trip cost, all in one run.
#include "benchmarks/bench_command.hpp"

int main(int argc, char** argv) {
  int status = 0;
  const auto config = primeloop::lab::parse_bench_flags(argc, argv, status);
  return config ? primeloop::lab::run_bench_command(*config) : status;
}
