// The load client's live view: on a terminal one block of figures redrawn in place each second,
// on a pipe (and in JSON or CSV anywhere) the plain lines of today.
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "clients/load_screen.hpp"
#include "terminal_support.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace clients = primeloop::clients;

namespace {

std::vector<std::string> short_load(std::uint16_t port, std::vector<std::string> more = {}) {
  std::vector<std::string> argv{bin("primeloop-client"),
                                "--port",
                                std::to_string(port),
                                "--connections",
                                "2",
                                "--duration",
                                "2"};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

}  // namespace

TEST_CASE("On a terminal the load client redraws one live block in place", "[client][terminal]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});
  terminal_process p(short_load(s.port));
  const auto& text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == std::optional<int>{0});
  // Cursor up to the block's first line and clear below it: the block is drawn again.
  CHECK(text.find("F\x1b[J") != std::string::npos);
  CHECK(count(text, "  elapsed ") >= 3);              // before the first second, then after each
  CHECK(text.find("   1 s: ") == std::string::npos);  // no plain line a second
  const auto last = text.rfind("\x1b[J");
  REQUIRE(last != std::string::npos);
  const auto screen = text.substr(last);
  CHECK_THAT(screen, Catch::Contains("2 s of 2"));
  CHECK_THAT(screen, Catch::Contains("  last second "));
  // The summary after it, as on a pipe (the terminal turns each "\n" into "\r\n").
  CHECK_THAT(screen, Catch::Contains("\r\nsummary: 2 connections x depth 1, n=1, 2 s: total "));
}

TEST_CASE("On a terminal JSON stays one line a second with no escape sequence",
          "[client][terminal]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});
  terminal_process p(short_load(s.port, {"--json"}));
  const auto& text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == std::optional<int>{0});
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(count(text, "{\"type\":\"second\",") == 2);
}

TEST_CASE("On a pipe the load client prints one plain line a second and no escape sequence",
          "[client][terminal]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});
  child_process p(short_load(s.port));
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK_THAT(text, Catch::StartsWith("   1 s: "));
  CHECK_THAT(text, Catch::Contains("\n   2 s: "));
  CHECK_THAT(text, Catch::Contains("\nsummary: 2 connections x depth 1, n=1, 2 s: total "));
  CHECK(text.find("elapsed") == std::string::npos);
}

TEST_CASE(
    "The live block shows the last second, the totals, the lowest second and the long "
    "request within 100 columns",
    "[client]") {
  clients::load_config config;
  config.port = 25000;
  config.connections = 16;
  config.duration_s = 10;
  config.long_n = 100000;
  config.long_after = std::chrono::seconds{1};
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  REQUIRE(out);
  clients::load_screen screen(config, out);
  screen.start();
  CHECK_THAT(screen.render(), Catch::Contains("long request n=100000: starts after 1 s"));
  clients::second_sample s;
  s.second = 1;
  s.completed = 25000;
  s.p50 = std::chrono::microseconds{80};
  s.p99 = std::chrono::microseconds{400};
  screen.second(s);
  s.second = 2;
  s.completed = 0;
  s.stuck = 16;
  s.p50 = s.p99 = std::chrono::seconds{1};
  s.p50_lower_bound = s.p99_lower_bound = true;
  s.long_active = true;
  screen.second(s);
  std::fclose(out);
  const std::string drawn(buffer, size);
  std::free(buffer);
  const auto text = screen.render();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("2 s of 10"));
  CHECK_THAT(text, Catch::Contains("p50 >= 1.00 s"));
  CHECK_THAT(text, Catch::Contains("16 unanswered"));
  CHECK_THAT(text, Catch::Contains("mean 12500 req/s"));
  CHECK_THAT(text, Catch::Contains("0 req in second 2"));
  CHECK_THAT(text, Catch::Contains("long request n=100000: in flight"));
  // Three draws: the last one is the block as it stands, after the cursor went up.
  CHECK(count(drawn, "\x1b[J") == 2);
  CHECK_THAT(drawn, Catch::EndsWith(text));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(line.size() <= 100);
  }
}
