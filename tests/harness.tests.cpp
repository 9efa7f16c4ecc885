// The harness's busy-core stand-in: it starts, burns CPU, stops, and leaves no process.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "benchmarks/harness/busy_core.hpp"
#include "pool_support.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;

/// Fields 14 (utime) and 19 (nice) of /proc/<pid>/stat, or nullopt once the process is gone
/// (or is a zombie).
struct stat_fields {
  unsigned long utime = 0;
  long nice = 0;
};
std::optional<stat_fields> read_utime_nice(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name may hold spaces: the fields after it start after the last ')'.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string state;
  rest >> state;
  if (state == "Z") return std::nullopt;
  std::string skip;
  for (int field = 4; field < 14; ++field) rest >> skip;
  stat_fields f;
  rest >> f.utime;
  for (int field = 15; field < 19; ++field) rest >> skip;
  rest >> f.nice;
  return f;
}

}  // namespace

TEST_CASE("The busy-core stand-in spins at the niceness asked for, and stops without a trace",
          "[harness]") {
  const int nice = GENERATE(0, 19);
  primeloop::harness::busy_core core(nice);
  const pid_t pid = core.pid();
  REQUIRE(pid > 0);
  const auto first = read_utime_nice(pid);
  REQUIRE(first);
  CHECK(first->nice == nice);
  // It burns CPU: its user time grows (in clock ticks, 10 ms), well before the deadline.
  // No descriptor announces a CPU counter moving: poll it, bounded by the default deadline.
  std::optional<stat_fields> now = first;
  primeloop::test::eventually([&] {
    now = read_utime_nice(pid);
    return !now || now->utime >= first->utime + 5;
  });
  REQUIRE(now);
  CHECK(now->utime >= first->utime + 5);
  core.stop();
  CHECK(core.pid() == -1);
  // Reaped, not a zombie: the pid names no process of ours any more.
  CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
  CHECK_FALSE(read_utime_nice(pid));
  core.stop();  // a second stop does nothing
}

TEST_CASE("A busy-core stand-in still running when it goes out of scope is killed", "[harness]") {
  pid_t pid = -1;
  {
    primeloop::harness::busy_core core;
    pid = core.pid();
    REQUIRE(read_utime_nice(pid));
  }
  CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
  CHECK_FALSE(read_utime_nice(pid));
}
