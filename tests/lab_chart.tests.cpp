// The lab's chart: the SVG it draws, its colours and dash patterns, its log scale, and the command
// line it names in its footer.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "benchmarks/harness/lab_support.hpp"
#include "benchmarks/lab/lab_report.hpp"
#include "benchmarks/lab/svg_chart.hpp"
#include "lab_test_support.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace harness = primeloop::harness;
namespace lab = primeloop::lab;

namespace {

/// What the served panel of svg states for the series of that colour: the connections served in
/// each second, read back from where its line runs in the panel (0 at the bottom, `of` at its
/// tick labelled `of`).
std::vector<double> served_in_chart(const std::string& svg, const std::string& color, double of) {
  std::smatch panel;
  const std::regex served_panel(R"re(<rect x="\d+" y="([\d.]+)" width="[\d.]+" height="120")re");
  REQUIRE(std::regex_search(svg, panel, served_panel));
  const double bottom = std::stod(panel[1]) + 120;
  // The tick of every connection, the last such label before the panel's frame (the panel draws
  // its ticks first): its baseline is 4 below its line.
  const std::regex all_tick("<text x=\"\\d+\" y=\"([\\d.]+)\" text-anchor=\"end\">" +
                            fmt::format("{:g}", of) + "</text>");
  const auto before_panel = svg.substr(0, static_cast<std::size_t>(panel.position(0)));
  double tick_y = -1;
  for (auto it = std::sregex_iterator(before_panel.begin(), before_panel.end(), all_tick);
       it != std::sregex_iterator(); ++it) {
    tick_y = std::stod((*it)[1].str());
  }
  REQUIRE(tick_y > 0);
  const double all = bottom - (tick_y - 4);
  std::vector<double> out;
  const std::regex line("<polyline class=\"served\" fill=\"none\" stroke=\"" + color +
                        "\"[^>]* points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), line); it != std::sregex_iterator();
       ++it) {
    // Two points a second, "x,y x,y ": one value from each pair.
    std::istringstream points((*it)[1].str());
    for (std::string a, b; points >> a >> b;) {
      out.push_back((bottom - std::stod(a.substr(a.find(',') + 1))) / all * of);
    }
  }
  return out;
}

/// A run of the blocking server as the lab records it: `rate` answers a second, all on `served`
/// of the connections.
lab::executor_run run_serving(std::string name, unsigned seconds, std::uint64_t rate,
                              unsigned served) {
  lab::executor_run run;
  run.executor = std::move(name);
  run.load.histograms.resize(seconds);
  for (unsigned i = 0; i < seconds; ++i) {
    primeloop::clients::second_sample s;
    s.second = i + 1;
    s.completed = rate;
    s.connections_answered = served;
    run.load.seconds.push_back(s);
    run.load.histograms[i].record(std::chrono::microseconds{40});
  }
  run.load.completed = rate * seconds;
  run.load.connections_answered = served;
  run.stopped.exit_status = 0;
  return run;
}

}  // namespace

TEST_CASE("The chart is an SVG document with one line per executor and the marker", "[lab]") {
  lab::chart c;
  c.title = "req/s <16 connections>";
  c.series = {{"inline", {5, 5, 0}}, {"threads", {5, 4, 4}}};
  c.marker_x = 2;
  c.marker_label = "long request starts";
  const auto svg = lab::render_svg(c);
  CHECK_THAT(svg, Catch::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK_THAT(svg, Catch::EndsWith("</svg>\n"));
  CHECK(count(svg, "<polyline") == 2);
  CHECK_THAT(svg, Catch::Contains("long request starts"));
  CHECK_THAT(svg, Catch::Contains("req/s &lt;16 connections&gt;"));
  CHECK(lab::nice_ceiling(0) == 1);
  CHECK(lab::nice_ceiling(130'000) == 150'000);
  CHECK(lab::nice_ceiling(250'001) == 300'000);
  CHECK(lab::nice_ceiling(500) == 500);
}

TEST_CASE("Every chart gives an executor one colour and its variants a dash pattern", "[lab]") {
  const auto threads = lab::style_of("threads");
  CHECK(threads.dash.empty());
  CHECK(lab::style_of("threads+gil5ms").color == threads.color);
  CHECK_FALSE(lab::style_of("threads+gil5ms").dash.empty());
  CHECK(lab::style_of("threads+gil5ms").dash == lab::style_of("thread-per-conn+gil5ms").dash);
  CHECK(lab::style_of("threads+gil2ms").dash != lab::style_of("threads+gil5ms").dash);
  CHECK(lab::style_of("threads+gil1s").dash != lab::style_of("threads+gil2ms").dash);
  CHECK(lab::style_of("inline").color != threads.color);
  CHECK(lab::style_of("processes").color != threads.color);
  CHECK(lab::style_of("thread-per-conn").color != threads.color);
}

TEST_CASE("A log-scale chart keeps small rates apart and draws a freeze as a cliff", "[lab]") {
  lab::chart c;
  c.log_y = true;
  c.series = {{"threads+gil5ms", {1000, 10, 0}}};
  const auto svg = lab::render_svg(c);
  CHECK(lab::log_ceiling(0) == 10);
  CHECK(lab::log_ceiling(1000) == 1000);
  CHECK(lab::log_ceiling(1001) == 10000);
  // Ticks at 0, 1, 10, 100, 1k: a rate of 10 is a third of the way up, not at the bottom.
  CHECK_THAT(svg, Catch::Contains(">1k</text>"));
  CHECK_THAT(svg, Catch::Contains(">10</text>"));
  // Steps: every second has two points at one height, so the drop to 0 is vertical.
  const auto pts_at = svg.find("points=\"");
  REQUIRE(pts_at != std::string::npos);
  const auto pts = svg.substr(pts_at + 8, svg.find('"', pts_at + 8) - pts_at - 8);
  CHECK(count(pts, ",") == 6);
  CHECK_THAT(svg, Catch::Contains("stroke-dasharray"));
}

TEST_CASE("The command a chart names leaves out the temporary output directory", "[lab]") {
  std::vector<std::string> args{
      "/tmp/x/primeloop-lab", "--story",  "--out",    "/tmp/a b", "-o", "/tmp/c",
      "--out=/tmp/d",         "-o/tmp/e", "--before", "2"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  CHECK(harness::quote_command_without_out(static_cast<int>(argv.size()), argv.data()) ==
        "primeloop-lab --story --before 2");
}

TEST_CASE("A chart with latencies gets a second panel and keeps its labels off the lines",
          "[lab]") {
  lab::chart c;
  c.series = {{"inline", {5, 5, 0}, {1e-4, 2e-4, 2.0}, "5 / 0 / 0"},
              {"threads", {5, 4, 4}, {1e-4, 0, 3e-4}, ""}};
  c.marker_x = 1;
  c.marker_label = "long request starts";
  c.end_marker_x = 2;
  c.end_marker_label = "its connection closed";
  const auto svg = lab::render_svg(c);
  // Rates: one line each; latencies: inline one line, threads two (its empty second is a gap).
  CHECK(count(svg, "<polyline class=\"latency\"") == 3);
  CHECK(count(svg, "<polyline") == 5);
  CHECK_THAT(svg, Catch::Contains(">100 us</text>"));
  CHECK_THAT(svg, Catch::Contains(">10 s</text>"));
  CHECK_THAT(svg, Catch::Contains("its connection closed"));
  CHECK_THAT(svg, Catch::Contains("5 / 0 / 0"));
  // Both marker labels sit above the plot's top edge (y = 70), where no line is drawn.
  CHECK_THAT(svg, Catch::Contains("y=\"64\" fill=\"#333\">long request starts"));
  CHECK_THAT(svg, Catch::Contains("y=\"64\" fill=\"#333\">its connection closed"));
}

TEST_CASE(
    "The blocking stage's chart shows one connection served each second, as its story "
    "line says",
    "[lab][story]") {
  lab::lab_config config;
  config.executors = {"blocking", "threads"};
  config.before_s = 2;
  config.during_s = 2;
  config.after_s = 1;
  config.connections = 16;
  config.story = true;
  // The blocking server's rate stays flat: only who is served shows what it teaches.
  const std::vector<lab::executor_run> runs{run_serving("blocking", 5, 25000, 1),
                                            run_serving("threads", 5, 25000, 16)};
  const auto svg = lab::lab_svg(runs, config);
  CHECK_THAT(svg, Catch::Contains("connections that got any answer in each second"));
  const auto blocking = served_in_chart(svg, lab::style_of("blocking").color, 16);
  REQUIRE(blocking.size() == 5);
  for (const double v : blocking) CHECK(v == Approx(1).margin(0.1));
  const auto threads = served_in_chart(svg, lab::style_of("threads").color, 16);
  REQUIRE(threads.size() == 5);
  for (const double v : threads) CHECK(v == Approx(16).margin(0.1));

  std::vector<lab::executor_summary> rows;
  for (const auto& r : runs) rows.push_back(lab::summarize(r, config));
  const auto story = lab::format_story_table(rows, config);
  INFO(story);
  CHECK_THAT(story, Catch::Contains("served 1/16: 15 got no answer at all"));
  CHECK_THAT(svg, Catch::Contains("blocking: served 1/16"));
}

TEST_CASE("A lab run of the blocking server charts what its load measured: one of four served",
          "[lab][story]") {
  const auto out = (std::filesystem::temp_directory_path() /
                    ("primeloop-lab-blocking-" + std::to_string(::getpid())))
                       .string();
  child_process p(short_lab{.executors = "blocking,threads", .after = 0}.argv(out));
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);
  std::ifstream in(out + "/lab-chart.svg");
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto blocking = served_in_chart(svg, lab::style_of("blocking").color, 4);
  REQUIRE(blocking.size() == 2);
  for (const double v : blocking) CHECK(v == Approx(1).margin(0.05));
  const auto threads = served_in_chart(svg, lab::style_of("threads").color, 4);
  REQUIRE(threads.size() == 2);
  for (const double v : threads) CHECK(v == Approx(4).margin(0.05));
  CHECK_THAT(svg, Catch::Contains("blocking: served 1/4"));
  std::filesystem::remove_all(out);
}
