// The lab's live view: on a terminal one table redrawn in place with ANSI cursor movement, on a
// pipe plain lines with no escape sequence.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "benchmarks/lab/live_screen.hpp"
#include "lab_test_support.hpp"
#include "terminal_support.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid())))
      .string();
}

std::vector<std::string> two_column_lab(const std::string& out) {
  return short_lab{.after = 0, .connections = 2}.argv(out);
}

}  // namespace

TEST_CASE("On a terminal the lab redraws one live table in place", "[lab][terminal]") {
  const auto out = temp_path("primeloop-lab-tty");
  terminal_process p(two_column_lab(out));
  const auto& text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == std::optional<int>{0});
  // Cursor up to the table's first line and clear below it: the table is drawn again.
  CHECK(text.find("F\x1b[J") != std::string::npos);
  // One header for both executors (not one table per executor), and the summary after it.
  CHECK(count(text, "  t(s)    inline   threads") >= 2);
  const auto last = text.rfind("\x1b[J");
  REQUIRE(last != std::string::npos);
  const auto screen = text.substr(last);
  CHECK_THAT(screen, Catch::Contains("threads: server stopped"));
  CHECK_THAT(screen, Catch::Contains("<- long request n=20000 starts"));
  CHECK_THAT(screen, Catch::Contains("summary:"));
}

TEST_CASE("On a pipe the lab prints plain lines with no escape sequence", "[lab][terminal]") {
  const auto out = temp_path("primeloop-lab-pipe");
  child_process p(two_column_lab(out));
  const auto text = p.read_all(std::chrono::seconds{60});
  INFO(text);
  REQUIRE(p.wait() == 0);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(count(text, "  t(s)    inline   threads") == 2);
}
