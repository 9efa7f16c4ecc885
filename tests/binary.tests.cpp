// Smoke tests of the real executable: what a user sees at the command line.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_support.hpp"

using namespace primeloop::test;

namespace {

/// The programs this build made, from tests/CMakeLists.txt: the measuring ones (lab, bench,
/// baseline and the reference servers) only when the benchmarks are built.
std::vector<std::string> built_programs() {
  std::vector<std::string> out;
  const std::string_view all = PRIMELOOP_PROGRAMS;
  for (std::size_t start = 0; start <= all.size();) {
    const auto end = std::min(all.find(',', start), all.size());
    out.emplace_back(all.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

/// True when the program at `path` (bin(name)) is one this build made.
bool built(const std::string& path) {
  const auto programs = built_programs();
  const auto name = std::filesystem::path(path).filename().string();
  return std::find(programs.begin(), programs.end(), name) != programs.end();
}

}  // namespace

TEST_CASE("primeloop-server --help describes the flags", "[binary]") {
  child_process p({bin("primeloop-server"), "--help"});
  const auto out = p.read_all();
  CHECK(p.wait() == 0);
  for (const char* flag : {"--executor", "--port", "--bind", "--workers", "--workload",
                           "--stats-interval", "--max-n", "--version"}) {
    INFO(flag);
    CHECK(out.find(flag) != std::string::npos);
  }
}

TEST_CASE("primeloop-server --version prints the version and the commit", "[binary]") {
  child_process p({bin("primeloop-server"), "--version"});
  const auto out = p.read_all();
  CHECK(out.starts_with("primeloop-server "));
  // The commit names the build that printed a figure: never empty, "unknown" outside git.
  CHECK(out.find("(commit ") != std::string::npos);
  CHECK(out.find("(commit )") == std::string::npos);
  CHECK(p.wait() == 0);
}

TEST_CASE("A bad flag is refused with a message and a non-zero status", "[binary]") {
  SECTION("unknown flag") {
    child_process p({bin("primeloop-server"), "--frobnicate"});
    const auto out = p.read_all();
    CHECK(out.find("frobnicate") != std::string::npos);
    CHECK(p.wait() != 0);
  }
  SECTION("unknown executor") {
    child_process p({bin("primeloop-server"), "--executor=fibers"});
    const auto out = p.read_all();
    CHECK(out.find("fibers") != std::string::npos);
    CHECK(p.wait() != 0);
  }
}

TEST_CASE("A port that cannot be bound is a clear error", "[binary]") {
  auto first = start_server({"--executor", "inline", "--stats-interval", "0"});
  child_process p({bin("primeloop-server"), "--port", std::to_string(first.port)});
  const auto out = p.read_all();
  CHECK(out.find("cannot bind 127.0.0.1:" + std::to_string(first.port) + ", the line port") !=
        std::string::npos);
  CHECK(out.find("in use") != std::string::npos);
  CHECK(out.find("-p 0 picks a free one") != std::string::npos);
  CHECK(p.wait() == 1);
}

TEST_CASE("An HTTP port that cannot be bound is named as the HTTP port, with the way out",
          "[binary]") {
  // The first server's line port is the port the second asks for HTTP on.
  auto first = start_server({"--executor", "inline", "--stats-interval", "0"});
  child_process p({bin("primeloop-server"), "-p", "0", "--http-port", std::to_string(first.port)});
  const auto out = p.read_all();
  INFO(out);
  CHECK(out.find("cannot bind 127.0.0.1:" + std::to_string(first.port) + ", the HTTP port") !=
        std::string::npos);
  CHECK(out.find("in use") != std::string::npos);
  CHECK(out.find("--http-port 0 picks a free one") != std::string::npos);
  CHECK(p.wait() == 1);
}

TEST_CASE("Usage errors exit 2 with one line naming the flag, the value and what is accepted",
          "[binary][cli]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{bin("primeloop-server"), "--port", "70000"}, "--port 70000: must be 0-65535"},
      {{bin("primeloop-server"), "--executor=thread"}, "did you mean threads?"},
      {{bin("primeloop-server"), "--grace", "1e300"}, "--grace 1e300: must be 0-86400 seconds"},
      {{bin("primeloop-server"), "--idle-timeout", "1e19"}, "--idle-timeout 1e19: must be 0-86400"},
      {{bin("primeloop-server"), "--request-timeout", "nan"}, "--request-timeout nan: must be 0-"},
      {{bin("primeloop-server"), "--stats-interval", "inf"}, "--stats-interval inf: must be 0-"},
      {{bin("primeloop-server"), "--line-timeout", "-1"}, "--line-timeout -1: must be 0-86400"},
      {{bin("primeloop-client"), "--timeout", "1e300", "1"}, "--timeout 1e300: must be 0-86400"},
      {{bin("primeloop-lab"), "--stop-grace", "1e300"}, "--stop-grace 1e300: must be 0-3600"},
      {{bin("primeloop-lab"), "--rate", "100", "--slo", "nan"},
       "--slo nan: must be 0.001-3600000 milliseconds"},
      {{bin("primeloop-blocking"), "--idle-timeout", "nan"}, "--idle-timeout nan: must be 0-"},
      {{bin("primeloop-threaded"), "--stats-interval", "1e300"}, "--stats-interval 1e300: must"},
      {{bin("primeloop-server"), "--executor=processes", "--workers", "1000000"},
       "--workers 1000000: must be at most"},
      {{bin("primeloop-client"), "--port", "70000", "1"}, "--port 70000: must be 1-65535"},
      {{bin("primeloop-lab"), "--executors", "threads+gil5"},
       "--executors threads+gil5: the switch interval needs a unit (us, ms or s)"},
      {{bin("primeloop-lab"), "--executors", "thraeds"}, "did you mean threads?"},
      {{bin("primeloop-bench"), "--column-arg", "x"}, "--column-arg x: not COLUMN=FLAG"},
      {{bin("primeloop-bench"), "--phases", "throughpt"},
       "unknown phase; did you mean throughput?"},
      {{bin("primeloop-bench"), "--sieve-executor", "processes"},
       "unknown sieve executor; choose inline or threads"},
      {{bin("primeloop-lab"), "--workload", "naiv"}, "unknown workload; did you mean naive?"},
      {{bin("primeloop-baseline"), "--port", "70000"}, "--port 70000"},
      {{bin("primeloop-blocking"), "--frobnicate"}, "--frobnicate: unknown flag"},
  };
  for (const auto& [argv, want] : cases) {
    if (!built(argv[0])) continue;  // a measuring program, in a build without the benchmarks
    INFO(argv[1]);
    child_process p(argv);
    const auto out = p.read_all();
    CHECK(out.find(want) != std::string::npos);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
    CHECK(p.wait() == 2);
  }
}

TEST_CASE("Every program prints its version and a help that fits 100 columns", "[binary][cli]") {
  for (const auto& name : built_programs()) {
    INFO(name);
    child_process v({bin(name), "--version"});
    CHECK(v.read_all().starts_with(name + " "));
    CHECK(v.wait() == 0);
    child_process h({bin(name), "--help"});
    const auto help = h.read_all();
    CHECK(h.wait() == 0);
    std::size_t start = 0;
    while (start < help.size()) {
      const auto end = std::min(help.find('\n', start), help.size());
      CHECK(end - start <= 100);
      start = end + 1;
    }
  }
}

namespace {

/// The flags a program's --help shows with a numeric type (INT, UINT, FLOAT), from its lines
/// "  -p,--port UINT:0-65535=25000  ...".
std::vector<std::string> numeric_flags(const std::string& program) {
  child_process h({bin(program), "--help"});
  const auto help = h.read_all();
  std::vector<std::string> flags;
  std::size_t start = 0;
  while (start < help.size()) {
    const auto end = std::min(help.find('\n', start), help.size());
    const std::string line = help.substr(start, end - start);
    start = end + 1;
    if (!line.starts_with("  -")) continue;
    const auto space = line.find(' ', 2);
    if (space == std::string::npos) continue;
    const auto names = line.substr(2, space - 2);
    const auto type = line.substr(space + 1);
    if (!type.starts_with("INT") && !type.starts_with("UINT") && !type.starts_with("FLOAT")) {
      continue;
    }
    const auto long_name = names.find("--");
    if (long_name != std::string::npos) flags.push_back(names.substr(long_name));
  }
  return flags;
}

}  // namespace

TEST_CASE("Every numeric flag of every program refuses a bad value in one short line naming it",
          "[binary][cli]") {
  for (const auto& program : built_programs()) {
    const auto flags = numeric_flags(program);
    INFO(program);
    CHECK(!flags.empty());
    for (const auto& flag : flags) {
      for (const std::string value : {"abc", "-1"}) {
        INFO(flag << ' ' << value);
        child_process p({bin(program), flag, value});
        const auto out = p.read_all();
        INFO(out);
        // "primeloop-lab: --n 0: must be 1-1000000000000", never CLI11's 300-digit range.
        CHECK(out.starts_with(program + ": " + flag + " " + value + ": must be "));
        CHECK(std::count(out.begin(), out.end(), '\n') == 1);
        CHECK(out.size() <= 101);
        CHECK(p.wait() == 2);
      }
    }
  }
}

TEST_CASE("A flag that means nothing without another one is refused with the reason",
          "[binary][cli]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{bin("primeloop-server"), "--switch-interval", "0.002"},
       "primeloop-server: --switch-interval 0.002: means nothing without --gil ("},
      {{bin("primeloop-client"), "--load", "--long-after", "3"},
       "primeloop-client: --long-after 3: means nothing without --long-n ("},
      {{bin("primeloop-client"), "--load", "--slo", "3"},
       "primeloop-client: --slo 3: means nothing without --rate ("},
      {{bin("primeloop-client"), "--load", "--timeout", "3"},
       "primeloop-client: --timeout: means nothing in load mode ("},
      {{bin("primeloop-client"), "-d", "2", "--no-spinner"},
       "primeloop-client: --no-spinner: means nothing in load mode ("},
  };
  for (const auto& [argv, want] : cases) {
    INFO(argv[1]);
    child_process p(argv);
    const auto out = p.read_all();
    CHECK(out.starts_with(want));
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
    CHECK(out.size() <= 101);
    CHECK(p.wait() == 2);
  }
}

namespace {

/// The lines of text longer than 100 columns, each with its length (empty: all fit).
std::string wide_lines(const std::string& text) {
  std::string wide;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    if (end - start > 100) {
      wide += std::to_string(end - start) + ": " + text.substr(start, end - start) + "\n";
    }
    start = end + 1;
  }
  return wide;
}

}  // namespace

TEST_CASE("Every program's default output fits 100 columns", "[binary][cli]") {
  // The servers: their listening lines in the variants that make them longest, then their end.
  const std::vector<std::pair<std::string, std::vector<std::string>>> servers{
      {"primeloop-server", {"--executor", "threads", "--gil"}},
      {"primeloop-server", {"--executor", "processes", "--gil", "--workload", "fast"}},
      {"primeloop-threaded", {"--gil"}},
      {"primeloop-blocking", {}},
  };
  for (const auto& [program, flags] : servers) {
    if (!built(bin(program))) continue;
    INFO(program);
    auto s = start_server(flags, program);
    CHECK(wide_lines(s.first_line) == "");
    // One answer from the one-shot client, then the server's own end.
    child_process client({bin("primeloop-client"), "--port", std::to_string(s.port), "100"});
    CHECK(wide_lines(client.read_all()) == "");
    CHECK(client.wait() == 0);
    s.proc.signal(SIGTERM);
    CHECK(wide_lines(s.proc.read_all()) == "");
    CHECK(s.proc.wait());
  }
  if (built(bin("primeloop-bench"))) {
    const auto out = std::filesystem::temp_directory_path() /
                     ("primeloop-bench-width-" + std::to_string(::getpid()));
    child_process bench({bin("primeloop-bench"), "-e", "inline", "--phases", "throughput", "-c",
                         "1", "-d", "1", "-r", "1", "--warmup", "0", "-o", out.string()});
    const auto text = bench.read_all(std::chrono::seconds{60});
    INFO(text);
    CHECK(bench.wait() == 0);
    CHECK(wide_lines(text) == "");
    std::filesystem::remove_all(out);
  }
  // The lab's output is checked by its own tests (lab_checks.tests.cpp), on short runs.
}
