// The one-shot client's spinner: drawn on a terminal (a pseudo-terminal here), cleared when the
// answer comes, never on a pipe, and off with --no-spinner.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace primeloop::test;

namespace {

/// Runs argv on a pseudo-terminal and returns everything it printed there, until it exits.
std::string run_on_terminal(const std::vector<std::string>& argv) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(default_deadline.count())) <= 0) break;
    const auto n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child closed the terminal
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return out;
}

}  // namespace

TEST_CASE("The one-shot client spins on a terminal while it waits and clears it", "[spinner]") {
  auto s = start_server({"--stats-interval", "0", "--executor", "threads"});
  // naive 20000 takes about a second: several frames of the spinner.
  const auto out =
      run_on_terminal({bin("primeloop-client"), "--port", std::to_string(s.port), "20000"});
  INFO(out);
  CHECK(out.find("waiting") != std::string::npos);
  const auto cleared = out.rfind("\r\033[K");
  REQUIRE(cleared != std::string::npos);
  // The answer comes after the cleared line, alone on it.
  CHECK(out.substr(cleared + 4).find("224737") == 0);
}

TEST_CASE("The one-shot client draws no spinner with --no-spinner", "[spinner]") {
  auto s = start_server({"--stats-interval", "0", "--executor", "threads"});
  const auto out = run_on_terminal(
      {bin("primeloop-client"), "--port", std::to_string(s.port), "--no-spinner", "20000"});
  CHECK(out.find("waiting") == std::string::npos);
  CHECK(out.find("224737") != std::string::npos);
}

TEST_CASE("The one-shot client prints exactly the answers on a pipe", "[spinner]") {
  auto s = start_server({"--stats-interval", "0", "--executor", "threads"});
  child_process client({bin("primeloop-client"), "--port", std::to_string(s.port), "20000", "10"});
  CHECK(client.read_all() == "224737\n29\n");
  CHECK(client.wait() == 0);
}
