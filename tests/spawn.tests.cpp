// The one fork and exec: output and exit status come back, and a program that cannot run is
// reported to the caller with no child left behind.
#include <unistd.h>

#include <system_error>

#include <catch2/catch.hpp>

#include "benchmarks/harness/proc_stat.hpp"
#include "test_support.hpp"

namespace h = primeloop::harness;
using namespace primeloop::test;

TEST_CASE("Spawning a program that cannot run throws and leaves no child", "[harness][spawn]") {
  CHECK_THROWS_AS(child_process({"/nonexistent/primeloop-nothing"}), std::system_error);
  CHECK(h::children_of(::getpid(), true).empty());
}

TEST_CASE("A spawned child's output and exit status come back", "[harness][spawn]") {
  child_process p({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(p.read_all() == "out\nerr\n");
  CHECK(p.wait() == 3);
}
