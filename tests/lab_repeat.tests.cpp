// --repeat: the median and range of each figure over the rounds, computed directly and printed,
// and one short repeated lab run end to end.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "benchmarks/lab/lab.hpp"
#include "benchmarks/lab/lab_partial.hpp"
#include "benchmarks/lab/lab_repeat.hpp"
#include "benchmarks/lab/live_screen.hpp"
#include "lab_test_support.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace lab = primeloop::lab;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

/// One round of a column as summarize would give it.
lab::executor_summary round_of(std::string executor, unsigned round, double before, double during,
                               microseconds p99) {
  lab::executor_summary s;
  s.executor = std::move(executor);
  s.round = round;
  s.before_rps = before;
  s.during_rps = during;
  s.retention = during / before;
  s.during_answered = 100;
  s.p50 = p99 / 2;
  s.p99 = p99;
  s.max = p99 * 2;
  s.worst_lag = milliseconds{2};
  return s;
}

}  // namespace

TEST_CASE("The median of the rounds is the middle draw, or the mean of the middle two",
          "[lab][repeat]") {
  CHECK_FALSE(lab::spread_of({}));
  const auto odd = lab::spread_of({{30}, {10}, {20}});
  REQUIRE(odd);
  CHECK(odd->median == 20);
  CHECK(odd->min == 10);
  CHECK(odd->max == 30);
  CHECK(odd->rounds == 3);
  const auto even = lab::spread_of({{40}, {10}, {20}, {30}});
  REQUIRE(even);
  CHECK(even->median == Approx(25));
  CHECK(even->min == 10);
  CHECK(even->max == 40);
  const auto one = lab::spread_of({{7}});
  REQUIRE(one);
  CHECK(one->median == 7);
  CHECK(one->min == 7);
  CHECK(one->max == 7);
  // A lower bound stays one: the highest draw was a request still waiting at the end.
  const auto bounded = lab::spread_of({{5}, {8e9, true}, {3}});
  REQUIRE(bounded);
  CHECK(bounded->median == 5);
  CHECK_FALSE(bounded->median_lower_bound);
  CHECK(bounded->max_lower_bound);
  CHECK_FALSE(bounded->min_lower_bound);
}

TEST_CASE("Each figure's spread leaves out failed rounds and rounds without the figure",
          "[lab][repeat]") {
  std::vector<lab::executor_summary> rounds{
      round_of("threads", 1, 1000, 900, microseconds{300}),
      round_of("threads", 2, 1000, 1000, microseconds{400}),
      round_of("threads", 3, 1000, 800, microseconds{200}),
  };
  auto failed = round_of("threads", 4, 1, 1, microseconds{1});
  failed.failed = true;
  rounds.push_back(failed);
  const auto kept = lab::figure_spread(rounds, "kept");
  REQUIRE(kept);
  CHECK(kept->rounds == 3);
  CHECK(kept->median == Approx(0.9));
  CHECK(kept->min == Approx(0.8));
  CHECK(kept->max == Approx(1.0));
  const auto p99 = lab::figure_spread(rounds, "p99");
  REQUIRE(p99);
  CHECK(p99->median == Approx(300e3));                 // nanoseconds
  CHECK_FALSE(lab::figure_spread(rounds, "after/s"));  // no after phase in these rounds
  // The chart draws the round whose kept is the median: round 1 (0.9).
  CHECK(lab::median_round(rounds) == 0);
  CHECK(lab::repeat_figures().front() == "before/s");
}

TEST_CASE("The repeated summary prints each column's medians and ranges within 100 columns",
          "[lab][repeat]") {
  lab::lab_config config;
  config.executors = {"inline", "threads"};
  config.repeat = 3;
  std::vector<lab::executor_summary> rows;
  for (unsigned r = 1; r <= 3; ++r) {
    auto frozen = round_of("inline", r, 70000 + r, 4, microseconds{8'000'000});
    frozen.p99_lower_bound = frozen.max_lower_bound = true;
    rows.push_back(frozen);
    rows.push_back(round_of("threads", r, 70000, 69000 + 1000 * r, microseconds{300 + 10 * r}));
  }
  const auto columns = lab::rounds_by_column(rows, 2);
  REQUIRE(columns.size() == 2);
  CHECK(columns[1].size() == 3);
  CHECK(columns[1][2].round == 3);
  const auto text = lab::format_repeat_table(columns, config);
  INFO(text);
  CHECK_THAT(text, Catch::StartsWith("summary: the median of 3 rounds"));
  CHECK_THAT(text, Catch::Contains("each round runs inline, threads once"));
  CHECK(std::regex_search(text, std::regex(R"(\nduring/s +4 +71000\n +4-4 +70000-72000\n)")));
  CHECK(std::regex_search(
      text, std::regex(R"(\np99 +>= 8.00 s +320 us\n +>= 8.00-8.00 s +310-330 us\n)")));
  CHECK(std::regex_search(text, std::regex(R"(\nrounds +3/3 +3/3\n)")));
  CHECK(wide_lines(text) == "");
  const auto csv = lab::repeat_csv(columns);
  CHECK_THAT(csv, Catch::StartsWith("executor,figure,unit,rounds,median,min,max,lower_bounds\n"));
  CHECK_THAT(csv,
             Catch::Contains("\nthreads,during/s,req/s,3,71000.0000,70000.0000,72000.0000,\n"));
  CHECK_THAT(csv, Catch::Contains("\ninline,p99,us,3,8000000.0000,8000000.0000,8000000.0000,"
                                  "median+min+max\n"));

  // The story's eight columns do not fit one table: they are split, each part within 100.
  lab::lab_config story = config;
  story.executors.clear();
  std::vector<lab::executor_summary> many;
  for (const auto& stage : lab::lesson_stages()) story.executors.emplace_back(stage.column);
  for (unsigned r = 1; r <= 3; ++r) {
    for (const auto& e : story.executors)
      many.push_back(round_of(e, r, 1000, 500, microseconds{90}));
  }
  const auto wide =
      lab::format_repeat_table(lab::rounds_by_column(many, story.executors.size()), story);
  INFO(wide);
  CHECK(count(wide, "\nfigure ") >= 2);
  CHECK(wide_lines(wide) == "");
}

TEST_CASE("A failed round is left out of the figures and named under the table", "[lab][repeat]") {
  lab::lab_config config;
  config.executors = {"threads"};
  config.repeat = 3;
  std::vector<lab::executor_summary> rounds{
      round_of("threads", 1, 1000, 900, microseconds{300}),
      round_of("threads", 2, 1000, 1, microseconds{1}),
      round_of("threads", 3, 1000, 700, microseconds{300}),
  };
  rounds[1].failed = true;
  rounds[1].server_end = "FAILED: 1 connection failed: refused";
  const auto text = lab::format_repeat_table({rounds}, config);
  INFO(text);
  CHECK(std::regex_search(text, std::regex(R"(\nrounds +2/3\n)")));
  CHECK(std::regex_search(text, std::regex(R"(\nduring/s +800\n +700-900\n)")));
  CHECK_THAT(text, Catch::Contains("[threads] round 2 FAILED: 1 connection failed: refused"));
}

TEST_CASE("An interrupted repeated lab summarizes the runs that finished", "[lab][repeat]") {
  lab::lab_config config;
  config.executors = {"inline", "threads"};
  config.repeat = 2;
  config.before_s = 2;
  config.during_s = 2;
  config.after_s = 0;
  null_observer quiet;
  lab::partial_record record(quiet);
  lab::executor_run done;
  for (unsigned s = 1; s <= 4; ++s) {
    primeloop::clients::second_sample sample;
    sample.second = s;
    sample.completed = 100;
    done.load.seconds.push_back(sample);
  }
  done.load.histograms.resize(4);
  record.round_started(1, 2);
  for (std::size_t i = 0; i < 2; ++i) {
    done.executor = config.executors[i];
    record.started(i, "listening on 127.0.0.1:1");
    record.finished(i, done);
  }
  record.round_started(2, 2);
  record.started(0, "listening on 127.0.0.1:1");
  record.second(0, done.load.seconds.front());
  const auto text = record.summary(config);
  INFO(text);
  CHECK_THAT(text, Catch::StartsWith("interrupted in round 2 of 2: the runs that finished "
                                     "(inline in round 2 cut off after 1 s: not counted)"));
  CHECK_THAT(text, Catch::Contains("summary: the median of 1 round,"));
  CHECK(std::regex_search(text, std::regex(R"(\nbefore/s +100 +100\n)")));
}

TEST_CASE("On a terminal each round gets a table of its own, titled with the round",
          "[lab][repeat][terminal]") {
  lab::lab_config config;
  config.executors = {"inline", "threads"};
  config.repeat = 2;
  std::FILE* sink = std::fopen("/dev/null", "w");
  REQUIRE(sink);
  {
    lab::live_screen screen(config, sink);
    screen.round_started(1, 2);
    screen.started(0,
                   "listening on 127.0.0.1:40585 executor=processes workers=2 workload=naive "
                   "max-n=100000000 gil=0.005s");
    primeloop::clients::second_sample s;
    s.second = 1;
    s.completed = 4321;
    screen.second(0, s);
    CHECK_THAT(screen.render(), Catch::StartsWith("round 1 of 2\n  t(s)"));
    CHECK_THAT(screen.render(), Catch::Contains("4321"));
    // The status line of a long listening line folds: every row of the table is one line.
    CHECK(wide_lines(screen.render()) == "");
    screen.round_started(2, 2);
    const auto second = screen.render();
    CHECK_THAT(second, Catch::StartsWith("round 2 of 2\n"));
    CHECK_THAT(second, !Catch::Contains("4321"));  // round 1's seconds stay in its own table
    CHECK_THAT(second, Catch::Contains("inline: waiting"));
  }
  std::fclose(sink);
}

TEST_CASE(
    "primeloop-lab --repeat 2 runs the columns in interleaved rounds and prints medians and "
    "ranges",
    "[lab][repeat]") {
  const auto out = std::filesystem::temp_directory_path() /
                   ("primeloop-lab-repeat-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  child_process p(short_lab{
      .executors = "threads,processes",
      .after = 0,
      .connections = 2,
      .stop_grace = 1,
      .extra = {"--repeat",
                "2"}}.argv(out.string()));
  const auto text = p.read_all(std::chrono::seconds{90});
  INFO(text);
  REQUIRE(p.wait() == 0);
  // Interleaved: threads, processes, then threads, processes again.
  const auto round2 = text.find("\nround 2 of 2\n");
  REQUIRE(round2 != std::string::npos);
  CHECK(text.find("[processes]") < round2);
  CHECK(text.find("[threads]", round2) != std::string::npos);
  CHECK_THAT(text, Catch::Contains("2 rounds, interleaved"));
  const auto summary = text.find("summary: the median of 2 rounds");
  REQUIRE(summary != std::string::npos);
  const std::string rest = text.substr(summary);
  CHECK(std::regex_search(rest, std::regex(R"(\nfigure +threads +processes\n)")));
  CHECK(std::regex_search(rest, std::regex(R"(\nrounds +2/2 +2/2\n)")));
  CHECK(std::regex_search(rest, std::regex(R"(\nbefore/s +\d+ +\d+\n +\d+-\d+ +\d+-\d+\n)")));
  CHECK(std::regex_search(rest, std::regex(R"(\nkept +[\d.]+% +[\d.]+%\n +[\d.]+-[\d.]+% )")));
  CHECK(wide_lines(text) == "");

  const auto repeat = read_lines(out / "lab-repeat.csv");
  REQUIRE(repeat.size() > 1);
  CHECK(repeat[0] == "executor,figure,unit,rounds,median,min,max,lower_bounds");
  CHECK_THAT(repeat[1], Catch::StartsWith("threads,before/s,req/s,2,"));
  const auto rows = read_lines(out / "lab-summary.csv");
  REQUIRE(rows.size() == 1 + 2 * 2);
  CHECK_THAT(rows[0], Catch::EndsWith(",round"));
  CHECK_THAT(rows[3], Catch::StartsWith("threads,"));
  CHECK_THAT(rows[3], Catch::EndsWith(",2"));
  CHECK(std::filesystem::exists(out / "server-threads-round2.log"));
  std::ifstream run_txt(out / "run.txt");
  std::stringstream run;
  run << run_txt.rdbuf();
  CHECK_THAT(run.str(), Catch::Contains("summary: the median of 2 rounds"));
  CHECK_THAT(run.str(), Catch::Contains("round 2 of 2: summary:"));
  std::filesystem::remove_all(out);
}
