// The one-shot client's spinner: drawn on a terminal (a pseudo-terminal here), cleared when the
// answer comes, never on a pipe, and off with --no-spinner.
#include <csignal>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "terminal_support.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

namespace {

/// Runs argv on a pseudo-terminal and returns everything it printed there, until it exits.
std::string run_on_terminal(const std::vector<std::string>& argv) {
  terminal_process p(argv);
  std::string out = p.read_all(computation_deadline);
  CHECK(p.wait() == 0);
  return out;
}

}  // namespace

TEST_CASE("The one-shot client spins on a terminal while it waits and clears it", "[spinner]") {
  auto s = start_server({"--stats-interval", "0", "--executor", "threads"});
  // naive 10000 takes most of a second here: several of the spinner's 100 ms frames.
  const auto out =
      run_on_terminal({bin("primeloop-client"), "--port", std::to_string(s.port), "10000"});
  INFO(out);
  CHECK(out.find("waiting") != std::string::npos);
  const auto cleared = out.rfind("\r\033[K");
  REQUIRE(cleared != std::string::npos);
  // The answer comes after the cleared line, alone on it.
  CHECK(out.substr(cleared + 4).find("104729") == 0);
}

TEST_CASE("The one-shot client draws no spinner with --no-spinner", "[spinner]") {
  auto s = start_server({"--stats-interval", "0", "--executor", "threads"});
  const auto out = run_on_terminal(
      {bin("primeloop-client"), "--port", std::to_string(s.port), "--no-spinner", "10000"});
  CHECK(out.find("waiting") == std::string::npos);
  CHECK(out.find("104729") != std::string::npos);
}

TEST_CASE("The one-shot client prints exactly the answers on a pipe", "[spinner]") {
  auto s = start_server({"--stats-interval", "0", "--executor", "threads"});
  child_process client({bin("primeloop-client"), "--port", std::to_string(s.port), "10000", "10"});
  CHECK(client.read_all(computation_deadline) == "104729\n29\n");
  CHECK(client.wait() == 0);
}

TEST_CASE("The spinning one-shot client ends at once when the server dies", "[spinner]") {
  // naive n = 10^7 would take hours: only the server's death can end this wait.
  auto s = start_server({"--stats-interval", "0", "--executor", "threads"});
  terminal_process client({bin("primeloop-client"), "--port", std::to_string(s.port), "10000000"});
  // Before it spins, it says the wait is long.
  REQUIRE(client.wait_for("waiting"));
  CHECK(client.output().find("days on the naive workload") != std::string::npos);
  s.proc.signal(SIGKILL);
  REQUIRE(s.proc.wait());
  const auto& out = client.read_all();
  INFO(out);
  CHECK(out.find("the server closed the connection after 0 of 1 replies") != std::string::npos);
  CHECK(client.wait() == 1);
}
