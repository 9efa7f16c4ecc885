// /proc/<pid>/stat parsed: a command name with spaces and parentheses, a cut line, and this
// process's own entry.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "benchmarks/harness/proc_stat.hpp"

namespace h = primeloop::harness;

TEST_CASE("A stat line with spaces and parentheses in the command parses", "[harness][proc]") {
  const auto st = h::parse_proc_stat(
      "4242 (a (weird) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 3 0");
  REQUIRE(st);
  CHECK(st->state == 'S');
  CHECK(st->ppid == 17);
  CHECK(st->pgrp == 4242);
  CHECK(st->utime == 250);
  CHECK(st->stime == 31);
  CHECK(st->cpu_ticks() == 281);
  CHECK(st->living());
  CHECK_FALSE(h::parse_proc_stat("4242 (cut) S 17 4242"));
  CHECK_FALSE(h::parse_proc_stat("no parenthesis at all"));
}

TEST_CASE("This process's own stat is read from /proc", "[harness][proc]") {
  const auto st = h::read_proc_stat(::getpid());
  REQUIRE(st);
  CHECK(st->ppid == ::getppid());
  CHECK(st->pgrp == ::getpgrp());
  CHECK(st->living());
}
