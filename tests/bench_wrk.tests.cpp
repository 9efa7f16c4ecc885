// The bench's wrk phase: an outside HTTP load tool's req/s against each column's GET /prime/1,
// beside the project's own client, same servers, same run.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "benchmarks/bench/bench.hpp"
#include "benchmarks/bench/bench_report.hpp"
#include "benchmarks/harness/process_probe.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace bench = primeloop::bench;
namespace harness = primeloop::harness;

namespace {

// wrk 4.1's summary, as Debian's wrk prints it.
constexpr const char* wrk_output = R"(Running 1s test @ http://127.0.0.1:40215/prime/1
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    99.52us   40.33us   1.54ms   93.16%
    Req/Sec   158.08k    10.23k  168.45k    70.00%
  157287 requests in 1.00s, 12.45MB read
Requests/sec: 157287.41
Transfer/sec:     12.45MB
)";

}  // namespace

TEST_CASE("wrk's Requests/sec is read from its summary, and a table puts it beside the client",
          "[bench][wrk]") {
  REQUIRE(bench::parse_wrk_rps(wrk_output));
  CHECK(*bench::parse_wrk_rps(wrk_output) == Approx(157287.41));
  CHECK_FALSE(bench::parse_wrk_rps("Running 1s test\nunable to connect to 127.0.0.1:1\n"));
  CHECK_FALSE(bench::parse_wrk_rps("Requests/sec: nan-ish"));

  bench::wrk_cell ok, failed;
  ok.target = "inline";
  ok.connections = 16;
  ok.rps = 150000;
  failed.target = "threads";
  failed.connections = 16;
  failed.error = "skipped: wrk not found (Debian package wrk)";
  bench::bench_cell client;
  client.target = "inline";
  client.connections = 16;
  client.rps = 200000;
  const auto table = bench::format_wrk({ok, failed}, {client});
  INFO(table);
  CHECK_THAT(table,
             Catch::Contains("inline                     150000         200000         0.75"));
  CHECK_THAT(table, Catch::Contains("threads              skipped: wrk not found"));
}

TEST_CASE("primeloop-bench --phases wrk measures each column's HTTP face with wrk",
          "[bench][wrk]") {
  const bool have_wrk = !harness::find_on_path("wrk").empty();
  const auto out = std::filesystem::temp_directory_path() /
                   ("primeloop-bench-wrk-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  child_process p({bin("primeloop-bench"), "-e", "inline,threads", "--phases", "throughput,wrk",
                   "-c", "16", "-r", "1", "-d", "1", "--warmup", "0", "--out", out.string()});
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);
  CHECK_THAT(text, Catch::Contains("\nwrk: an outside tool (wrk -t1 -c16) against GET /prime/1"));
  if (!have_wrk) {
    WARN("wrk is not installed (.ci/install-deps installs it): only the skipped rows are checked");
    CHECK_THAT(text, Catch::Contains("skipped: wrk not found"));
    return;
  }
  std::ifstream figures(out / "bench-figures.csv");
  std::stringstream csv;
  csv << figures.rdbuf();
  // Both columns answered wrk's requests: a rate, no failure.
  CHECK_THAT(csv.str(), Catch::Contains("\nwrk,inline,rps,"));
  CHECK_THAT(csv.str(), Catch::Contains("\nwrk,threads,rps,"));
  CHECK_THAT(text, !Catch::Contains("failed: wrk"));
  std::filesystem::remove_all(out);
}
