// The process_* metrics: the /proc parsers on lines of our making, and the figures read for this
// process against what the test itself can see (fds it opens, memory it touches, its limit).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <vector>

#include "core/proc_self.hpp"
#include "server/process_metrics.hpp"

using namespace primeloop;

TEST_CASE("A /proc/<pid>/stat line is read after its comm, spaces and parentheses included",
          "[process_metrics]") {
  // Fields 3.. of a real line; the comm "(a) b)" is the kind that breaks a naive split.
  const auto f = parse_proc_pid_stat(
      "4242 (a) b) S 1 4242 4242 0 -1 4194560 300 0 0 0 17 5 0 0 20 0 1 0 123456 10000000 "
      "2500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
  REQUIRE(f);
  CHECK(f->utime_ticks == 17);
  CHECK(f->stime_ticks == 5);
  CHECK(f->starttime_ticks == 123456);
  CHECK(f->rss_pages == 2500);
  CHECK_FALSE(parse_proc_pid_stat("no parenthesis here"));
  CHECK_FALSE(parse_proc_pid_stat("1 (short) S 1 2 3"));
}

TEST_CASE("The boot time is the btime line of /proc/stat", "[process_metrics]") {
  CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == 1700000000u);
  CHECK_FALSE(parse_boot_time("cpu  1 2 3\n"));
}

TEST_CASE("This process's open fds rise by the files the test opens", "[process_metrics]") {
  const auto before = read_process_figures();
  REQUIRE(before);
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const auto during = read_process_figures();
  for (const int fd : fds) ::close(fd);
  REQUIRE(during);
  CHECK(during->open_fds == before->open_fds + 5);
  rlimit lim{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
  CHECK(during->max_fds == lim.rlim_cur);
}

TEST_CASE("This process's CPU time, memory and start time are plausible", "[process_metrics]") {
  const auto f = read_process_figures();
  REQUIRE(f);
  // At least the pages this test has touched are resident.
  std::vector<char> touched(8 << 20, 1);
  const auto g = read_process_figures();
  REQUIRE(g);
  CHECK(g->resident_bytes >= touched.size());
  CHECK(f->cpu_seconds >= 0);
  CHECK(g->cpu_seconds >= f->cpu_seconds);
  CHECK(f->cpu_seconds <= static_cast<double>(std::clock()) / CLOCKS_PER_SEC + 1);
  // Started before now, and not before the test binary could have (within a day: clock ticks).
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(f->start_time_seconds <= now + 1);
  CHECK(f->start_time_seconds > now - 24 * 3600);
}

TEST_CASE("The process metrics carry the names Prometheus client libraries use",
          "[process_metrics]") {
  const auto text = format_process_metrics();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    INFO(name);
    CHECK(text.find(std::string("\n") + name + " ") != std::string::npos);
  }
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}
