// primeloop-bench's pieces that need no timing: column variants and per-column flags, argument
// handling, the targets table from made-up results, the /proc readers, and the shape of what one
// short run prints and writes.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "benchmarks/bench/bench.hpp"
#include "benchmarks/bench/bench_command.hpp"
#include "benchmarks/bench/bench_report.hpp"
#include "benchmarks/harness/process_probe.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace bench = primeloop::bench;
namespace harness = primeloop::harness;
namespace lab = primeloop::lab;

namespace {

/// parse_bench_flags on a command line (the program name is added).
std::optional<bench::bench_config> parse(std::vector<std::string> args, int& status) {
  args.insert(args.begin(), bin("primeloop-bench"));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return bench::parse_bench_flags(static_cast<int>(argv.size()), argv.data(), status);
}

bool contains(const std::vector<std::string>& v, const std::vector<std::string>& seq) {
  return std::search(v.begin(), v.end(), seq.begin(), seq.end()) != v.end();
}

std::string first_line(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::string line;
  std::getline(f, line);
  return line;
}

}  // namespace

TEST_CASE("Columns take '+nice<0-19>' as --worker-nice, alone or with '+gil'", "[bench]") {
  const auto nice = lab::parse_column("threads+nice19");
  REQUIRE(nice);
  CHECK(nice->executor == "threads");
  CHECK(nice->flags == std::vector<std::string>{"--worker-nice", "19"});
  const auto both = lab::parse_column("processes+nice5+gil2ms");
  REQUIRE(both);
  CHECK(both->flags ==
        std::vector<std::string>{"--worker-nice", "5", "--gil", "--switch-interval", "0.002"});
  CHECK(lab::parse_column("inline+nice0")->flags.back() == "0");
  for (const char* bad : {"threads+nice", "threads+nice20", "threads+nice-1", "threads+nice1x",
                          "threads+nice19+nice5", "threads+gil5ms+gil2ms", "threads+nice19+"}) {
    INFO(bad);
    CHECK_FALSE(lab::parse_column(bad));
  }
}

TEST_CASE("Bench flags: columns, per-column server flags and phases", "[bench]") {
  int status = 0;
  const auto defaults = parse({}, status);
  REQUIRE(defaults);
  CHECK(defaults->executors == std::vector<std::string>{"inline", "threads", "processes"});
  CHECK(defaults->connection_counts == std::vector<unsigned>{1, 16, 64});
  CHECK(defaults->long_request.connections == 16);
  CHECK(defaults->long_request.long_n == 100'000);
  CHECK(defaults->idle_connections == 10'000);
  CHECK(defaults->sieve_n == 100'000'000);
  for (const auto p : {bench::bench_phase::throughput, bench::bench_phase::long_request,
                       bench::bench_phase::idle, bench::bench_phase::sieve}) {
    CHECK(defaults->runs(p));
  }

  const auto config =
      parse({"-e", "threads,threads+nice19", "--column-arg", "threads+nice19=--workers=1",
             "--server-arg=--send-buffer=0", "--phases", "long,sieve", "--warmup", "0"},
            status);
  REQUIRE(config);
  CHECK_FALSE(config->runs(bench::bench_phase::throughput));
  CHECK(config->runs(bench::bench_phase::sieve));
  CHECK(config->warmup.count() == 0);
  const auto plain = bench::bench_server_argv(*config, "threads");
  const auto nice = bench::bench_server_argv(*config, "threads+nice19");
  CHECK(contains(plain, {"--executor", "threads"}));
  CHECK(contains(plain, {"--send-buffer=0"}));
  CHECK_FALSE(contains(plain, {"--workers=1"}));
  CHECK_FALSE(contains(plain, {"--worker-nice", "19"}));
  CHECK(contains(nice, {"--executor", "threads"}));
  CHECK(contains(nice, {"--worker-nice", "19"}));
  CHECK(contains(nice, {"--workers=1"}));
  CHECK(contains(nice, {"--send-buffer=0"}));
  CHECK(contains(bench::bench_server_argv(*config, "threads", "sieve"), {"--workload", "sieve"}));

  for (const auto& bad : {std::vector<std::string>{"-e", "fibers"},
                          {"--column-arg", "threads+nice5=--workers=1"},
                          {"--column-arg", "threads"},
                          {"--phases", "warp"},
                          {"--sieve-executor", "processes"},
                          {"--primesieve", "/no/such/primesieve"}}) {
    INFO(bad.front() << " " << bad.back());
    status = 0;
    CHECK_FALSE(parse(bad, status));
    CHECK(status != 0);
  }
}

TEST_CASE("The targets table says met, not met, failed, or no target", "[bench]") {
  bench::bench_config config;
  config.executors = {"inline", "threads", "threads+nice19"};
  config.connection_counts = {1, 16};
  bench::bench_results r;
  const auto cell = [](std::string target, unsigned connections, double rps,
                       std::string error = "") {
    bench::bench_cell c;
    c.target = std::move(target);
    c.connections = connections;
    c.rps = c.worst_rps = rps;
    c.error = std::move(error);
    return c;
  };
  r.cells = {cell("baseline", 1, 100'000), cell("baseline", 16, 200'000),
             cell("inline", 1, 10'000),    cell("inline", 16, 190'000),
             cell("threads", 16, 100'000), cell("threads+nice19", 16, 0, "connection reset")};
  lab::executor_summary frozen, flowing;
  frozen.executor = "inline";
  frozen.retention = 0.0;
  frozen.p99 = std::chrono::seconds{4};
  frozen.p99_lower_bound = true;
  flowing.executor = "threads";
  flowing.retention = 0.85;
  flowing.during_answered = 1000;
  flowing.p99 = std::chrono::microseconds{2500};
  r.long_runs = {frozen, flowing};
  bench::idle_cell small, failed;
  small.target = "inline";
  small.requested = small.opened = 10'000;
  small.rss_before_kib = 4 * 1024;
  small.rss_kib = 25 * 1024;  // 2202 bytes a connection
  failed.target = "threads";
  failed.requested = 10'000;
  failed.error = "connection 4097 of 10000 failed: Connection refused";
  r.idle = {small, failed};
  bench::race sieve;
  sieve.n = 1000;
  sieve.skipped = "primesieve not found";
  r.sieve = sieve;

  const auto checks = bench::check_targets(r, config);
  // One connection is wake-up bound: no target there.
  CHECK_FALSE(bench::find_target(checks, "throughput inline / baseline, 1 connections"));
  const auto* in16 = bench::find_target(checks, "throughput inline / baseline, 16 connections");
  REQUIRE(in16);
  CHECK(in16->measured == "0.950");
  CHECK(in16->met == true);
  const auto* th16 = bench::find_target(checks, "throughput threads / baseline, 16 connections");
  REQUIRE(th16);
  CHECK(th16->target == ">= 0.70");
  CHECK(th16->met == false);
  const auto* nice16 =
      bench::find_target(checks, "throughput threads+nice19 / baseline, 16 connections");
  REQUIRE(nice16);
  CHECK_THAT(nice16->measured, Catch::Contains("connection reset"));
  CHECK(nice16->met == false);
  const auto* inline_retention =
      bench::find_target(checks, "retention inline during a long request");
  REQUIRE(inline_retention);
  CHECK_FALSE(inline_retention->met);
  CHECK_FALSE(bench::find_target(checks, "p99 latency inline during a long request"));
  CHECK(bench::find_target(checks, "retention threads during a long request")->met == true);
  CHECK(bench::find_target(checks, "p99 latency threads during a long request")->met == false);
  CHECK(bench::find_target(checks, "server RSS per idle connection, inline x 10000")->met == true);
  CHECK(bench::find_target(checks, "server RSS per idle connection, threads x 10000")->met ==
        false);
  const auto* s = bench::find_target(checks, "sieve n=1000: server CPU time / primesieve -t1");
  REQUIRE(s);
  CHECK_FALSE(s->met);
  CHECK_THAT(s->measured, Catch::StartsWith("skipped"));

  const auto table = bench::format_targets(checks);
  CHECK_THAT(table, Catch::StartsWith("targets\n"));
  CHECK_THAT(table, Catch::Contains("NOT MET"));
  CHECK_THAT(bench::targets_csv(checks), Catch::StartsWith("figure,target,measured,met\n"));
  CHECK_THAT(bench::format_throughput(r.cells, config), Catch::Contains("1 (wake-up bound)"));
}

TEST_CASE("The offload round trip never prints a cost below the rounds' noise", "[bench]") {
  bench::bench_config config;
  config.executors = {"inline", "threads", "processes"};
  config.connection_counts = {1};
  const auto cell = [](std::string target, double best, double worst, double mean_us) {
    bench::bench_cell c;
    c.target = std::move(target);
    c.connections = 1;
    c.rps = best;
    c.worst_rps = worst;
    c.mean = std::chrono::nanoseconds{static_cast<long>(mean_us * 1000)};
    return c;
  };
  // threads is faster than inline here, by less than the rounds moved: noise, not a cost.
  // processes is 20 us slower, with rounds 1% apart: a real cost.
  const std::vector<bench::bench_cell> cells{cell("inline", 10'000, 9'000, 100),
                                             cell("threads", 10'000, 9'500, 95),
                                             cell("processes", 10'000, 9'900, 120)};
  const auto text = bench::format_throughput(cells, config);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("within noise of inline (-5.0 us"));
  CHECK_THAT(text, Catch::Contains("+20.0 us over inline"));
  CHECK_THAT(text, !Catch::Contains("-5.0 us over inline"));
  // The means at the precision of the differences beside them.
  CHECK(std::regex_search(text, std::regex(R"(\n  threads +95\.0 us   within noise)")));
  CHECK(std::regex_search(text, std::regex(R"(\n  processes +120\.0 us   \+20\.0 us)")));
}

TEST_CASE("The /proc readers and the timed command read this process and echo", "[bench]") {
  CHECK(harness::proc_status_value(::getpid(), "VmRSS").value_or(0) > 0);
  CHECK_FALSE(harness::proc_status_value(::getpid(), "VmNothing"));
  CHECK(harness::open_fd_count(::getpid()) >= 3);
  CHECK(harness::process_cpu_time(::getpid()));
  const auto echo = harness::find_on_path("echo");
  REQUIRE_FALSE(echo.empty());
  asio::io_context io;
  std::optional<harness::command_run> run;
  asio::co_spawn(io, harness::run_timed({echo.string(), "hello"}),
                 [&](std::exception_ptr e, harness::command_run r) {
                   if (!e) run = std::move(r);
                 });
  io.run();
  REQUIRE(run);
  CHECK(run->output == "hello\n");
  CHECK(run->exit_status == 0);
  CHECK(harness::find_on_path("primeloop-no-such-program").empty());
}

TEST_CASE("A short bench run prints every phase and the targets, and writes its files", "[bench]") {
  const auto out = std::filesystem::temp_directory_path() /
                   ("primeloop-bench-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  child_process p({bin("primeloop-bench"),
                   "-e",
                   "threads",
                   "--no-standin",
                   "-c",
                   "4",
                   "-r",
                   "1",
                   "-d",
                   "1",
                   "--warmup",
                   "0",
                   "--before",
                   "1",
                   "--during",
                   "1",
                   "--after",
                   "1",
                   "--long-n",
                   "20000",
                   "--long-connections",
                   "4",
                   "--idle-connections",
                   "100",
                   "--sieve-n",
                   "1000",
                   "--sieve-rounds",
                   "1",
                   "--fast-n",
                   "1000",
                   "--fast-rounds",
                   "1",
                   "--out",
                   out.string()});
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);
  for (const char* section :
       {"\nmachine: ", "\nthroughput: small requests (n=1)", "\nlong request: naive n=20000",
        "\nidle connections: 100 opened", "\nsieve: n=1000", "\nfast: the server",
        "\nsystem calls per request: ", "\ntargets\n"}) {
    CHECK_THAT(text, Catch::Contains(section));
  }
  CHECK_THAT(text, Catch::Contains("throughput threads / baseline, 4 connections"));
  CHECK_THAT(text, Catch::Contains("retention threads during a long request"));
  CHECK_THAT(text, Catch::Contains("p99 latency threads during a long request"));
  CHECK_THAT(text, Catch::Contains("server RSS per idle connection, threads x 100"));
  CHECK_THAT(text, Catch::Contains("sieve n=1000: server CPU time / primesieve -t1"));
  CHECK(first_line(out / "bench.csv") ==
        "target,connections,depth,duration_s,rounds,best_round,rps,ratio_to_baseline,mean_us,"
        "p50_us,p99_us,worst_round_rps,error");
  CHECK(first_line(out / "bench-figures.csv") == "phase,target,figure,value,unit");
  CHECK(first_line(out / "bench-targets.csv") == "figure,target,measured,met");
  CHECK(first_line(out / "bench.txt").starts_with("command: primeloop-bench -e threads"));
  std::filesystem::remove_all(out);
}

TEST_CASE("The fairness phase has a name and a table of each column's fresh-request wait",
          "[bench]") {
  REQUIRE(bench::parse_phase("fair"));
  CHECK(*bench::parse_phase("fair") == bench::bench_phase::fair);
  CHECK(bench::to_string(bench::bench_phase::fair) == "fair");
  bench::bench_config config;
  bench::fairness_cell answered{"threads", std::chrono::milliseconds{500},
                                std::chrono::milliseconds{900}, ""};
  bench::fairness_cell failed{"inline", std::chrono::milliseconds{500}, std::nullopt,
                              "no answer within 60 s"};
  const auto text = bench::format_fairness({answered, failed}, config);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("pipelines 1024 x 10000"));
  CHECK_THAT(text, Catch::Contains("900.00 ms"));
  CHECK_THAT(text, Catch::Contains("inline               failed: no answer within 60 s"));
}

TEST_CASE("The fast phase races the server's fast workload against primecount, and they agree",
          "[bench]") {
  REQUIRE(bench::parse_phase("fast"));
  CHECK(*bench::parse_phase("fast") == bench::bench_phase::fast);
  const auto out = std::filesystem::temp_directory_path() /
                   ("primeloop-bench-fast-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  child_process p({bin("primeloop-bench"), "--phases", "fast", "--fast-n", "1000000,1000",
                   "--fast-rounds", "1", "--out", out.string()});
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);
  CHECK_THAT(text, Catch::Contains("\nfast: the server (--workload fast --executor threads)"));
  if (harness::find_on_path("primecount").empty()) {
    CHECK_THAT(text, Catch::Contains("15485863 (primecount skipped: "));
  } else {
    CHECK_THAT(text, Catch::Contains("15485863 (both agree)"));  // the 10^6th prime
    CHECK_THAT(text, Catch::Contains("7919 (both agree)"));      // the 1000th
  }
  CHECK_THAT(text, Catch::Contains("fast n=1000000: server CPU time / primecount -t1  <= 1.2"));
  std::ifstream figures(out / "bench-figures.csv");
  std::stringstream csv;
  csv << figures.rdbuf();
  CHECK_THAT(csv.str(), Catch::Contains("\nfast,server-n=1000000,cpu,"));
  std::filesystem::remove_all(out);
}

TEST_CASE("A fast race that failed says so in its table and fails its target", "[bench]") {
  bench::bench_results results;
  bench::race failed;
  failed.n = 1'000'000'000'000;
  failed.answer = "29996224275833";
  failed.error = "n=1000000000000: the server answered 29996224275833 and primecount 1";
  results.fast.push_back(failed);
  bench::bench_config config;
  config.phases = {bench::bench_phase::fast};
  const auto text = bench::format_fast(results.fast);
  CHECK_THAT(text, Catch::Contains("FAILED: n=1000000000000: the server answered"));
  const auto checks = bench::check_targets(results, config);
  const auto* t =
      bench::find_target(checks, "fast n=1000000000000: server CPU time / primecount -t1");
  REQUIRE(t);
  CHECK(t->met == false);
  CHECK_THAT(t->measured, Catch::StartsWith("failed: "));
}

TEST_CASE("Bench flags: the stand-in is on unless --no-standin, and --fast-n takes a list",
          "[bench]") {
  int status = 0;
  const auto defaults = parse({}, status);
  REQUIRE(defaults);
  CHECK(defaults->long_request.standin);
  CHECK(defaults->runs(bench::bench_phase::fast));
  CHECK(defaults->fast_ns == std::vector<std::uint64_t>{1'000'000'000'000, 100'000'000});
  const auto off = parse({"--no-standin", "--fast-n", "1000000", "--fast-rounds", "2"}, status);
  REQUIRE(off);
  CHECK_FALSE(off->long_request.standin);
  CHECK(off->fast_ns == std::vector<std::uint64_t>{1'000'000});
  CHECK(off->fast_rounds == 2);
}
