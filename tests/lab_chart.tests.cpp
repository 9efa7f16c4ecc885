// The lab's chart: the SVG it draws, its colours and dash patterns, its log scale, and the command
// line it names in its footer.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "benchmarks/harness/lab_support.hpp"
#include "benchmarks/lab/svg_chart.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace harness = primeloop::harness;
namespace lab = primeloop::lab;

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
