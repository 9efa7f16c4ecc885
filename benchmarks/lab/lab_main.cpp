// primeloop-lab: the lesson's scenario for each executor in turn, with a live table, a summary,
// CSV files and an SVG chart (docs/clients.md, docs/lessons.md).
#include "benchmarks/lab/lab_command.hpp"

int main(int argc, char** argv) {
  int status = 0;
  const auto config = primeloop::lab::parse_lab_flags(argc, argv, status);
  return config ? primeloop::lab::run_lab_command(*config) : status;
}
