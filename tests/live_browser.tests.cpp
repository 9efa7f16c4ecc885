// The live page in a real browser: tests/live_browser.py drives Debian's headless Chromium
// through chromium-driver and selenium, against primeloop-server --http-port 0 itself.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_support.hpp"

using primeloop::test::child_process;

namespace {

const std::string source_dir = PRIMELOOP_SOURCE_DIR;
constexpr int skipped = 77;  // tests/live_browser.py: no Chromium, driver or selenium here

/// primeloop-server on 127.0.0.1 port 0 with its HTTP face, and the URL of its live page.
struct page_server {
  child_process proc;
  std::string url;
};

page_server serve_page(std::vector<std::string> flags) {
  std::vector<std::string> argv{std::string(PRIMELOOP_BIN_DIR) + "/primeloop-server",
                                "--port",
                                "0",
                                "--http-port",
                                "0",
                                "--stats-interval",
                                "0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  page_server s{child_process(std::move(argv)), {}};
  const auto line = s.proc.wait_for_line("http listening on ");
  REQUIRE(line);
  s.url = "http://" + line->substr(line->rfind(' ') + 1);
  return s;
}

/// Runs the browser test on url with these flags: its status, and its output for the report.
int run_browser(const std::string& url, std::vector<std::string> flags) {
  std::vector<std::string> argv{"/usr/bin/python3", source_dir + "/tests/live_browser.py", url};
  argv.insert(argv.end(), flags.begin(), flags.end());
  child_process browser(std::move(argv));
  const auto output = browser.read_all(std::chrono::seconds(100));
  const auto status = browser.wait();
  REQUIRE(status);
  if (*status == skipped) {
    WARN(output);
  } else {
    INFO(output);
    CHECK(*status == 0);
  }
  return *status;
}

}  // namespace

TEST_CASE("In Chromium the live page updates its figures and shows a long request's answer",
          "[live_page][browser]") {
  auto server = serve_page({"--executor", "threads"});
  run_browser(server.url, {"--n", "1000", "--expect", "7919"});
}

TEST_CASE("In Chromium the live page shows the long request the server computes",
          "[live_page][browser]") {
  // Naive n = 20000: about 2 s on a pool thread, while the loop answers the page's polls.
  auto server = serve_page({"--executor", "threads"});
  run_browser(server.url, {"--n", "20000", "--expect", "224737", "--long-shown"});
}

TEST_CASE("In Chromium the live page says so when the server stops answering on inline",
          "[live_page][browser]") {
  // The naive workload's n = 20000 holds the loop for about 2 s on an idle core here (n = 10000
  // takes 0.5 s): well past the page's 0.6 s threshold, so the page must say it stalled.
  auto server = serve_page({"--executor", "inline"});
  run_browser(server.url, {"--inline", "--n", "20000", "--expect", "224737"});
}
