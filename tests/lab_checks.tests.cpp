// What the lab checks around a run: a long request above the server's max-n, a failed column,
// a busy machine, where the files go, a Ctrl-C, and lines that fit a 100-column terminal.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "benchmarks/harness/listening_line.hpp"
#include "benchmarks/harness/stats_lag.hpp"
#include "benchmarks/harness/wrap_words.hpp"
#include "benchmarks/lab/lab.hpp"
#include "benchmarks/lab/lab_checks.hpp"
#include "benchmarks/lab/lab_partial.hpp"
#include "benchmarks/lab/lab_report.hpp"
#include "lab_test_support.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace lab = primeloop::lab;
namespace harness = primeloop::harness;

TEST_CASE("The lab reads max-n from a listening line and refuses a long-n above it", "[lab]") {
  const std::string line =
      "listening on 127.0.0.1:25000 executor=inline workers=1 workload=naive max-n=100000000";
  CHECK(harness::listening_max_n(line) == 100'000'000u);
  CHECK(harness::listening_field(line, "workload") == "naive");
  CHECK_FALSE(harness::listening_max_n("listening on 127.0.0.1:25000 executor=inline"));
  CHECK_FALSE(harness::listening_max_n("listening on 127.0.0.1:25000 max-n=abc"));
  CHECK(lab::long_n_refusal(line, 100'000'000).empty());
  CHECK(lab::long_n_refusal("listening on 127.0.0.1:1 executor=inline", 5).empty());
  const auto refusal = lab::long_n_refusal(line, 1'000'000'000'000);
  CHECK_THAT(refusal, Catch::Contains("max-n=100000000"));
  CHECK_THAT(refusal, Catch::Contains("--server-arg=--max-n=1000000000000"));
  CHECK(wide_lines(refusal) == "");
}

TEST_CASE("A column with a failed connection fails and shows no figures", "[lab]") {
  lab::lab_config config;
  config.before_s = 1;
  config.during_s = 1;
  lab::executor_run run;
  run.executor = "inline";
  run.load.seconds.resize(2);
  run.load.histograms.resize(2);
  run.load.seconds[0].completed = 1000;
  CHECK(lab::run_failure(run).empty());
  run.load.connection_failures = 1;
  run.load.first_failure = "long request n=5 answered 'ERR n is too large'";
  CHECK_THAT(lab::run_failure(run), Catch::Contains("1 connection failed: long request n=5"));
  const auto s = lab::summarize(run, config);
  CHECK(s.failed);
  const auto table = lab::format_summary_table({s}, config);
  CHECK_THAT(table, Catch::Contains("inline     FAILED: no valid figures"));
  CHECK_THAT(table, Catch::Contains("ERR n is too large"));
  CHECK(lab::report_failures({s}, stderr) == 1);
  CHECK(lab::report_failures({}, stderr) == 0);
}

TEST_CASE("The lab warns that figures will be noisy when the load average exceeds cores - 1",
          "[lab]") {
  CHECK(lab::first_load_average("2.50 1.00 0.50 1/100 123") == Approx(2.5));
  CHECK(lab::noisy_machine_warning(0.9, 2).empty());
  CHECK_THAT(lab::noisy_machine_warning(1.5, 2), Catch::Contains("figures will be noisy"));
}

TEST_CASE("Long report lines fold at spaces within the width", "[lab]") {
  CHECK(harness::wrap_words("short line", 100) == "short line");
  const std::string words(30, 'a');
  const auto folded = harness::wrap_words(words + " " + words + " " + words + " " + words, 70);
  CHECK(folded == words + " " + words + "\n    " + words + " " + words);
  CHECK(harness::wrap_lines("a b\nc d", 3) == "a b\nc d");
  CHECK(wide_lines(harness::wrap_words(std::string(150, 'x'), 100)) != "");  // one word: whole
}

TEST_CASE("Without --out the lab keeps earlier results in their folder", "[lab]") {
  const auto base = temp_dir("lab-fresh");
  CHECK(lab::fresh_out_dir(base) == base);  // none yet
  std::filesystem::create_directories(base);
  CHECK(lab::fresh_out_dir(base) == base);  // empty
  std::ofstream(base / "run.txt") << "earlier\n";
  const auto next = lab::fresh_out_dir(base);
  CHECK(next != base);
  CHECK_THAT(next.filename().string(), Catch::StartsWith(base.filename().string() + "-"));
  std::filesystem::remove_all(base);
}

TEST_CASE("An interrupted lab summarizes the finished columns and the seconds of the running one",
          "[lab]") {
  lab::lab_config config;
  config.executors = {"inline", "threads"};
  config.before_s = 2;
  config.during_s = 2;
  config.after_s = 0;  // before + during: 4 s a column
  null_observer quiet;
  lab::partial_record record(quiet);
  CHECK_THAT(record.summary(config), Catch::Contains("nothing to show"));
  lab::executor_run done;
  done.executor = "inline";
  for (unsigned s = 1; s <= 4; ++s) {
    primeloop::clients::second_sample sample;
    sample.second = s;
    sample.completed = 100;
    done.load.seconds.push_back(sample);
  }
  done.load.histograms.resize(4);
  record.started(0, "listening on 127.0.0.1:1");
  record.finished(0, done);
  record.started(1, "listening on 127.0.0.1:2");
  primeloop::clients::second_sample first;
  first.second = 1;
  first.completed = 50;
  record.second(1, first);
  const auto text = record.summary(config);
  CHECK_THAT(text, Catch::Contains("interrupted: what was measured so far (threads cut off"));
  CHECK_THAT(text, Catch::Contains("\ninline "));
  CHECK_THAT(text, Catch::Contains("\nthreads "));
  CHECK_THAT(text, Catch::Contains("cut off after 1 of 4 s"));
}

TEST_CASE("primeloop-lab refuses a long-n above the server's max-n before any load", "[lab]") {
  const auto out = temp_dir("lab-refuse");
  child_process p({bin("primeloop-lab"), "--executors", "inline", "--before", "1", "--during", "1",
                   "--long-n", "1000000000000", "--out", out.string()});
  const auto text = p.read_all(std::chrono::seconds{30});
  INFO(text);
  const auto status = p.wait();
  REQUIRE(status);
  CHECK(*status != 0);
  CHECK_THAT(text, Catch::Contains("max-n=100000000"));
  CHECK_THAT(text, Catch::Contains("--server-arg=--max-n=1000000000000"));
  CHECK_THAT(text, !Catch::Contains("t(s)"));  // no load ran
  CHECK_THAT(text, !Catch::Contains("summary:"));
  CHECK(wide_lines(text) == "");
  std::filesystem::remove_all(out);
}

TEST_CASE("primeloop-lab fails a column whose connections were refused and exits non-zero",
          "[lab]") {
  const auto out = temp_dir("lab-failed");
  child_process p({bin("primeloop-lab"), "--executors", "inline", "--before", "1", "--during", "1",
                   "--after", "0", "--long-n", "20000", "--connections", "4", "--server-arg",
                   "--max-connections=2", "--out", out.string()});
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  CHECK(p.wait() == 1);
  CHECK_THAT(text, Catch::Contains("column inline failed, its figures are not valid"));
  CHECK_THAT(text, Catch::Contains("inline     FAILED: no valid figures"));
  CHECK(wide_lines(text) == "");
  std::filesystem::remove_all(out);
}

TEST_CASE("Ctrl-C in the lab prints what was measured so far and exits 130", "[lab]") {
  const auto out = temp_dir("lab-interrupt");
  child_process p({bin("primeloop-lab"), "--executors", "inline,threads", "--no-standin",
                   "--before", "1", "--during", "30", "--long-n", "20000", "--connections", "2",
                   "--out", out.string()});
  // The first column's long request has started: its "before" second is measured.
  REQUIRE(p.wait_for_line("<- long request", std::chrono::seconds{30}));
  p.signal(SIGINT);
  const auto text = p.read_all(std::chrono::seconds{30});
  INFO(text);
  CHECK(p.wait() == 130);
  CHECK_THAT(text, Catch::Contains("interrupted: what was measured so far (inline cut off"));
  CHECK_THAT(text, Catch::Contains("summary:"));
  CHECK(wide_lines(text) == "");
  std::filesystem::remove_all(out);
}

TEST_CASE("The lab reads the loop lag from a server's stats line and says what it means", "[lab]") {
  using namespace std::chrono_literals;
  CHECK(harness::parse_stats_lag("stats: 10 req/s in-flight 0 lag p99 0.08 ms max 0.21 ms") ==
        210us);
  CHECK(harness::parse_stats_lag("stats: 0 req/s lag now 3.2 s (the loop is stuck)") == 3200ms);
  CHECK_FALSE(harness::parse_stats_lag("stats: 0 req/s in-flight 0 queued 0 busy 0/2"));
  CHECK_FALSE(harness::parse_stats_lag("stats: lag p99 x ms max"));
  CHECK_THAT(lab::lag_verdict(8s), Catch::Contains("stood still") && Catch::Contains("waited"));
  CHECK_THAT(lab::lag_verdict(200us), Catch::Contains("kept up"));
  CHECK_THAT(lab::lag_verdict(std::nullopt), Catch::Contains("no loop lag"));
  lab::executor_summary quiet;
  quiet.executor = "threads";
  CHECK_THAT(lab::format_lag_verdicts({quiet}, 10), Catch::Contains("threads            -"));
}
