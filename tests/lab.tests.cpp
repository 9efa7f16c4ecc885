// The lab's pure parts (summary figures, columns, stages) and one short lab run end to end:
// inline and threads, a few seconds each, checking the shape of what it prints and writes.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "benchmarks/harness/lab_support.hpp"
#include "benchmarks/lab/lab.hpp"
#include "benchmarks/lab/lab_report.hpp"
#include "benchmarks/lab/open_loop_table.hpp"
#include "lab_test_support.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace lab = primeloop::lab;

namespace {

/// A fake run: `per_second` answers in each second, each answered in 100 us.
lab::executor_run fake_run(std::string name, std::vector<std::uint64_t> per_second) {
  lab::executor_run run;
  run.executor = std::move(name);
  run.load.histograms.resize(per_second.size());
  for (std::size_t i = 0; i < per_second.size(); ++i) {
    primeloop::clients::second_sample s;
    s.second = static_cast<unsigned>(i + 1);
    s.completed = per_second[i];
    run.load.seconds.push_back(s);
    for (std::uint64_t k = 0; k < per_second[i]; ++k) {
      run.load.histograms[i].record(std::chrono::microseconds{100});
    }
  }
  run.stopped.exit_status = 0;
  return run;
}

}  // namespace

TEST_CASE("The lab's summary skips the warm-up second and computes retention", "[lab]") {
  lab::lab_config config;
  config.before_s = 3;
  config.during_s = 2;
  auto run = fake_run("threads", {10, 100, 300, 100, 50});
  const auto s = lab::summarize(run, config);
  CHECK(s.before_first == 2);
  CHECK(s.before_rps == Approx(200));
  CHECK(s.during_rps == Approx(75));
  REQUIRE(s.retention);
  CHECK(*s.retention == Approx(0.375));
  CHECK(s.during_answered == 150);
  CHECK_FALSE(s.max_lower_bound);

  // Requests merely in flight when the run is cut off do not make the figures lower bounds.
  auto cut = run;
  cut.load.unfinished = 1;
  cut.load.unfinished_ages = {std::chrono::microseconds{50}};
  const auto c = lab::summarize(cut, config);
  CHECK_FALSE(c.p50_lower_bound);
  CHECK_FALSE(c.p99_lower_bound);
  CHECK_FALSE(c.max_lower_bound);

  // A frozen server: nothing answered during, and requests still waiting at the end.
  auto frozen = fake_run("inline", {10, 100, 300, 0, 0});
  frozen.load.unfinished = 2;
  frozen.load.unfinished_ages = {std::chrono::seconds{2}, std::chrono::seconds{2}};
  frozen.load.oldest_unfinished = std::chrono::seconds{2};
  const auto f = lab::summarize(frozen, config);
  REQUIRE(f.retention);
  CHECK(*f.retention == 0);
  CHECK(f.p99_lower_bound);
  CHECK(f.max_lower_bound);
  CHECK(f.max >= std::chrono::seconds{2});
  CHECK_THAT(lab::format_summary_table({s, f}, config), Catch::Contains(">= 2.00 s"));
}

TEST_CASE("Retention compares during with the mean of before and after", "[lab]") {
  lab::lab_config config;
  config.before_s = 3;
  config.during_s = 2;
  config.after_s = 3;
  // The machine drifts from 200 to 100 req/s: before 200, after 100, during 120.
  const auto s =
      lab::summarize(fake_run("threads", {10, 200, 200, 120, 120, 50, 100, 100}), config);
  CHECK(s.after_first == 7);
  CHECK(s.after_last == 8);
  CHECK(s.after_rps == Approx(100));
  CHECK(s.after_counts);
  REQUIRE(s.retention);
  CHECK(*s.retention == Approx(0.8));
  // Inline cannot stop the computation of a client that left: before alone is its reference.
  const auto i = lab::summarize(fake_run("inline", {10, 200, 200, 0, 0, 0, 0, 0}), config);
  CHECK_FALSE(i.after_counts);
  CHECK(lab::cancels_abandoned("processes+gil5ms"));
  CHECK_FALSE(lab::cancels_abandoned("thread-per-conn+gil5ms"));
  CHECK_THAT(lab::format_summary_table({s, i}, config), Catch::Contains("after/s"));
}

TEST_CASE("A short lab run of inline and threads prints and writes its summary", "[lab]") {
  const auto out =
      std::filesystem::temp_directory_path() / ("primeloop-lab-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  child_process p(short_lab{.before = 2}.argv(out.string()));
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);

  // The live table: a header per executor and one row per second, the long request marked.
  CHECK(count(text, "  t(s)    inline   threads") == 2);
  CHECK(count(text, "<- long request n=20000 starts") == 2);
  // The summary: one row per executor, in order, after the header.
  const auto summary = text.find("summary:\n  4 connections x depth 1");
  REQUIRE(summary != std::string::npos);
  const auto header = text.find("executor    before/s  during/s  after/s    kept", summary);
  REQUIRE(header != std::string::npos);
  const auto inline_row = text.find("\ninline ", header);
  const auto threads_row = text.find("\nthreads ", header);
  CHECK(inline_row != std::string::npos);
  CHECK(threads_row != std::string::npos);
  CHECK(inline_row < threads_row);

  const auto series = read_lines(out / "lab-series.csv");
  REQUIRE(series.size() == 1 + 2 * 4);
  CHECK(series[0] ==
        "executor,second,requests,errors,p50_us,p99_us,max_us,long_active,"
        "long_completed,round");
  CHECK_THAT(series[1], Catch::StartsWith("inline,1,"));
  CHECK_THAT(series[5], Catch::StartsWith("threads,1,"));

  const auto rows = read_lines(out / "lab-summary.csv");
  REQUIRE(rows.size() == 3);
  const auto columns = count(rows[0], ",");
  CHECK(count(rows[1], ",") >= columns);  // the last field may quote commas
  CHECK_THAT(rows[1], Catch::StartsWith("inline,4,1,1,20000,naive,"));
  CHECK_THAT(rows[2], Catch::StartsWith("threads,4,1,1,20000,naive,"));

  std::ifstream svg_file(out / "lab-chart.svg");
  std::stringstream svg;
  svg << svg_file.rdbuf();
  CHECK(count(svg.str(), "<polyline fill") == 2);  // the rates; the latencies are a panel below
  CHECK(std::filesystem::exists(out / "run.txt"));
  CHECK_THAT(text, Catch::Contains(out.string()));
  std::filesystem::remove_all(out);
}

TEST_CASE("The lab's open-loop table shows the tail during the long request and the slow share",
          "[lab][open-loop]") {
  lab::lab_config config;
  std::vector<lab::executor_run> runs(1);
  runs[0].executor = "inline";
  auto& o = runs[0].load.open_loop.emplace();
  CHECK(lab::format_open_loop_table(runs, config).empty());  // closed loop: no table
  config.rate = 1000;
  o.during_long_due = 200;
  o.during_long_over_slo = 100;
  for (int i = 0; i < 100; ++i) o.during_long.record(std::chrono::microseconds{100});
  const std::vector<std::chrono::nanoseconds> stuck(100, std::chrono::seconds{2});
  o.during_long_latency = primeloop::clients::figures_with_waiting(o.during_long, stuck);
  const auto text = lab::format_open_loop_table(runs, config);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("open loop: 1000 small requests a second"));
  CHECK_THAT(text, Catch::Contains("> 10.00 ms"));
  CHECK_THAT(text, Catch::Contains(">= 2.00 s"));
  CHECK_THAT(text, Catch::Contains("50.0%"));
}

TEST_CASE("The lab with --rate shows inline's freeze during the long request in seconds",
          "[lab][open-loop]") {
  const auto out = std::filesystem::temp_directory_path() /
                   ("primeloop-lab-rate-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  // naive n = 100000 takes minutes: inline is frozen from the long request's start to the end,
  // so the small requests due in the 2 s during it wait up to 2 s, counted from their due time.
  child_process p(
      short_lab{.during = 2, .long_n = 100000, .extra = {"--rate", "500"}}.argv(out.string()));
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);
  const auto table = text.find("open loop: 500 small requests a second");
  REQUIRE(table != std::string::npos);
  CHECK(text.find("p99.9  > 10.00 ms uncorr p99  schedule", table) != std::string::npos);
  std::smatch m;
  const std::string rest = text.substr(table);
  REQUIRE(std::regex_search(rest, m, std::regex(R"(\ninline +\d+ +(>= )?(\d+\.\d+) s )")));
  CHECK(std::stod(m[2].str()) >= 1.0);
  CHECK(std::regex_search(rest, std::regex(R"(\nthreads +\d+ +\S)")));
  CHECK(count(read_lines(out / "run.txt").empty() ? std::string{} : [&] {
          std::ifstream f(out / "run.txt");
          std::stringstream ss;
          ss << f.rdbuf();
          return ss.str();
        }(), "open loop: 500 small requests a second") == 1);
  std::filesystem::remove_all(out);
}

TEST_CASE("primeloop-lab rejects an unknown executor", "[lab]") {
  child_process p({bin("primeloop-lab"), "--executors", "inline,fibers"});
  const auto text = p.read_all();
  CHECK(p.wait() != 0);
  CHECK_THAT(text, Catch::Contains("fibers"));
}

TEST_CASE("Lab columns name an executor and, after '+gil', a switch interval", "[lab][gil]") {
  const auto threads = lab::parse_column("threads");
  REQUIRE(threads);
  CHECK(threads->executor == "threads");
  CHECK(threads->flags.empty());
  const auto gil5 = lab::parse_column("threads+gil5ms");
  REQUIRE(gil5);
  CHECK(gil5->executor == "threads");
  CHECK(gil5->flags == std::vector<std::string>{"--gil", "--switch-interval", "0.005"});
  CHECK(lab::parse_column("processes+gil1s")->flags.back() == "1");
  CHECK(lab::parse_column("inline+gil500us")->flags.back() == "0.0005");
  for (const char* bad : {"fibers", "threads+", "threads+gil", "threads+gil5", "threads+gil0ms",
                          "threads+gilms", "threads+nogil5ms", "+gil5ms"}) {
    INFO(bad);
    CHECK_FALSE(lab::parse_column(bad));
  }
  for (const auto& column : lab::gil_sweep_columns()) CHECK(lab::parse_column(column));
}

TEST_CASE("'+adaptive' keeps cheap work on the loop, and plain pool columns offload everything",
          "[lab]") {
  const auto adaptive = lab::parse_column("threads+adaptive");
  REQUIRE(adaptive);
  CHECK(adaptive->flags == std::vector<std::string>{"--offload-above", "20000"});
  CHECK(lab::parse_column("processes+adaptive+gil5ms"));
  CHECK_FALSE(lab::parse_column("inline+adaptive"));
  CHECK_FALSE(lab::parse_column("threads+adaptive+adaptive"));
  lab::lab_config config;
  config.server = "/bin/primeloop-server";
  const auto has_flags = [](const std::vector<std::string>& argv, const std::string& value) {
    const auto at = std::find(argv.begin(), argv.end(), "--offload-above");
    return at != argv.end() && std::next(at) != argv.end() && *std::next(at) == value &&
           std::count(argv.begin(), argv.end(), "--offload-above") == 1;
  };
  CHECK(has_flags(lab::server_argv(config, "threads"), "0"));
  CHECK(has_flags(lab::server_argv(config, "processes+gil5ms"), "0"));
  CHECK(has_flags(lab::server_argv(config, "threads+adaptive"), "20000"));
  const auto inline_argv = lab::server_argv(config, "inline");
  CHECK(std::find(inline_argv.begin(), inline_argv.end(), "--offload-above") == inline_argv.end());
}

TEST_CASE("Lab columns name the lesson's reference servers, and --story runs every stage",
          "[lab]") {
  const auto blocking = lab::parse_column("blocking");
  REQUIRE(blocking);
  CHECK(blocking->program == "primeloop-blocking");
  const auto gil2 = lab::parse_column("thread-per-conn+gil2ms");
  REQUIRE(gil2);
  CHECK(gil2->program == "primeloop-threaded");
  CHECK(gil2->flags.back() == "0.002");
  CHECK_FALSE(lab::parse_column("blocking+gil5ms"));         // no threads, no lock to share
  CHECK_FALSE(lab::parse_column("thread-per-conn+nice19"));  // no pool to renice
  std::vector<std::string> names;
  for (const auto& stage : lab::lesson_stages()) {
    CHECK(lab::parse_column(stage.column));
    names.emplace_back(stage.column);
  }
  CHECK(names == std::vector<std::string>{"blocking", "thread-per-conn", "thread-per-conn+gil5ms",
                                          "thread-per-conn+gil2ms", "thread-per-conn+gil1s",
                                          "inline", "threads", "processes"});
}

TEST_CASE("The story's live table and summary fit a 100-column terminal", "[lab]") {
  lab::lab_config config;
  config.executors = {"blocking",
                      "thread-per-conn",
                      "thread-per-conn+gil5ms",
                      "thread-per-conn+gil2ms",
                      "thread-per-conn+gil1s",
                      "inline",
                      "threads",
                      "processes"};
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  REQUIRE(out);
  std::vector<lab::executor_summary> rows;
  {
    lab::live_table table(config, out);
    for (std::size_t i = 0; i < config.executors.size(); ++i) {
      table.started(i, "listening on 127.0.0.1:1");
      auto run = fake_run(config.executors[i], std::vector<std::uint64_t>(config.total_s(), 99999));
      for (const auto& s : run.load.seconds) table.second(i, s);
      rows.push_back(lab::summarize(run, config));
    }
  }
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  text += lab::format_summary_table(rows, config) + lab::format_story_table(rows, config);
  INFO(text);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(line.size() <= 100);
  }
  // Numbered columns with a legend that names every executor.
  CHECK_THAT(text, Catch::Contains("c1 = blocking,"));
  CHECK_THAT(text, Catch::Contains("c8 = processes"));
  CHECK_THAT(text, Catch::Contains("<- long n="));
}

TEST_CASE("The stand-in runs at the long computation's niceness: the pool's, or 0 on the loop",
          "[lab]") {
  lab::lab_config config;
  config.server = "/x/primeloop-server";
  CHECK(lab::long_computation_nice(lab::server_argv(config, "threads")) == 0);
  CHECK(lab::long_computation_nice(lab::server_argv(config, "threads+nice19")) == 19);
  CHECK(lab::long_computation_nice(lab::server_argv(config, "processes+nice5")) == 5);
  CHECK(lab::long_computation_nice(lab::server_argv(config, "inline+nice19")) == 0);
  CHECK(lab::long_computation_nice(lab::server_argv(config, "blocking")) == 0);
  config.server_flags = {"--worker-nice=7"};
  CHECK(lab::long_computation_nice(lab::server_argv(config, "threads")) == 7);
}

TEST_CASE("The lab says what ran beside the server before the long request: stand-in or none",
          "[lab]") {
  const bool standin = GENERATE(true, false);
  const auto out = std::filesystem::temp_directory_path() /
                   ("primeloop-lab-standin-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  child_process p(
      short_lab{.executors = "threads", .after = 0, .connections = 2, .standin = standin}.argv(
          out.string()));
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);
  const std::string line =
      standin ? "before: one core kept busy by a stand-in" : "before: idle cores (--no-standin)";
  CHECK(count(text, line) == 2);  // at the start and in the summary
  const auto rows = read_lines(out / "lab-summary.csv");
  REQUIRE(rows.size() == 2);
  CHECK_THAT(rows[0], Catch::EndsWith(",before_load,round"));
  CHECK_THAT(rows[1], Catch::EndsWith(standin ? ",standin,1" : ",none,1"));
  std::filesystem::remove_all(out);
}
