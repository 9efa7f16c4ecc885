// Smoke tests of the real executable: what a user sees at the command line.
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace primeloop::test;

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

TEST_CASE("primeloop-server --version prints the version", "[binary]") {
  child_process p({bin("primeloop-server"), "--version"});
  CHECK(p.read_all().find("primeloop-server ") != std::string::npos);
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
  CHECK(out.find("cannot bind 127.0.0.1:" + std::to_string(first.port)) != std::string::npos);
  CHECK(out.find("in use") != std::string::npos);
  CHECK(p.wait() == 1);
}
