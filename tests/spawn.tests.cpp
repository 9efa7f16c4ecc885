// The one fork and exec: output and exit status come back, and a program that cannot run is
// reported to the caller with no child left behind.
#include <signal.h>
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

TEST_CASE("A spawned child starts with no signal blocked or ignored", "[harness][spawn]") {
  sigset_t term;
  ::sigemptyset(&term);
  ::sigaddset(&term, SIGTERM);
  sigset_t before;
  ::pthread_sigmask(SIG_BLOCK, &term, &before);
  const auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  child_process p({"/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"});
  ::signal(SIGPIPE, old_pipe);
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  const auto out = p.read_all();
  INFO(out);
  CHECK(out.find("SigBlk:\t0000000000000000") != std::string::npos);
  CHECK(out.find("SigIgn:\t0000000000000000") != std::string::npos);
  CHECK(p.wait() == 0);
}
