// The bench's system calls per request: the strace -c summary parser on a captured summary,
// and the phase on the baseline and the inline server (strace is in .ci/install-deps).
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "benchmarks/bench/syscall_count.hpp"
#include "benchmarks/harness/process_probe.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace bench = primeloop::bench;
namespace harness = primeloop::harness;

namespace {

// strace 6.1's summary of a primeloop-server with --executor processes (-c -f -o FILE).
constexpr const char* captured = R"(% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 30.46    0.332801      332801         1         1 restart_syscall
 30.42    0.332348      110782         3         1 futex
 19.43    0.212261          15     13838           sendto
 12.83    0.140178           8     15830      1985 recvfrom
  3.50    0.038255           8      4466           epoll_wait
  0.00    0.000000           0        32           epoll_ctl
------ ----------- ----------- --------- --------- ----------------
100.00    1.092418          28     34170      1988 total
)";

}  // namespace

TEST_CASE("The strace -c summary parser reads calls and errors by name", "[bench][syscalls]") {
  const auto calls = bench::parse_strace_summary(captured);
  REQUIRE(calls.size() == 6);  // the total line is not a call
  CHECK(calls.at("sendto").calls == 13838);
  CHECK(calls.at("sendto").errors == 0);
  CHECK(calls.at("recvfrom").calls == 15830);
  CHECK(calls.at("recvfrom").errors == 1985);
  CHECK(calls.at("restart_syscall").errors == 1);
  CHECK(calls.count("total") == 0);
  CHECK(bench::parse_strace_summary("strace: Process 12 attached\n\n").empty());

  bench::syscall_cell cell{"inline", 13838, calls, ""};
  CHECK(cell.per_request("sendto") == 1.0);
  CHECK(cell.per_request() == Approx(34170.0 / 13838));
  const auto text = bench::format_syscalls({cell, {"baseline", 0, {}, "skipped: no strace"}}, {});
  INFO(text);
  CHECK_THAT(text, Catch::Contains("recvfrom 1.14 (0.14), sendto 1.00, epoll_wait 0.32"));
  CHECK_THAT(text, Catch::Contains("baseline         skipped: no strace"));
}

TEST_CASE("The system-call phase counts per request for the baseline and inline",
          "[bench][syscalls]") {
  bench::syscall_config config;
  config.strace = harness::find_on_path("strace");
  REQUIRE_FALSE(config.strace.empty());  // .ci/install-deps installs it
  config.duration_s = 1;
  config.connections = 4;
  config.out_dir = std::filesystem::temp_directory_path() /
                   ("primeloop-syscalls-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(config.out_dir);
  const std::vector<bench::syscall_target> targets{
      {"baseline", {bin("primeloop-baseline"), "--port", "0"}},
      {"inline",
       {bin("primeloop-server"), "--port", "0", "--executor", "inline", "--stats-interval", "0"}}};
  std::vector<bench::syscall_cell> cells;
  std::exception_ptr failure;
  asio::io_context io;
  asio::co_spawn(io, bench::measure_syscalls(config, targets, [](const std::string&) {}),
                 [&](std::exception_ptr e, std::vector<bench::syscall_cell> r) {
                   failure = e;
                   cells = std::move(r);
                 });
  io.run();
  std::filesystem::remove_all(config.out_dir);
  REQUIRE_FALSE(failure);
  REQUIRE(cells.size() == 2);
  for (const auto& c : cells) {
    INFO(c.target << ": " << c.error);
    if (c.error.find("not permitted") != std::string::npos) {
      WARN("this machine does not let strace attach: " << c.error);
      return;
    }
    REQUIRE(c.error.empty());
    CHECK(c.requests > 100);
    // One read and one write per request at least; a loop that wasted calls shows here.
    CHECK(c.per_request("sendto") + c.per_request("write") + c.per_request("writev") >= 0.9);
    CHECK(c.per_request() > 1.5);
    CHECK(c.per_request() < 20);
  }
}
