// The load generator's run outlives the coroutines it spawns, even when an exception ends it.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <csignal>
#include <exception>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "clients/load_generator.hpp"
#include "test_support.hpp"

using namespace primeloop::test;

namespace {

/// Runs a load against s whose per-second callback throws, to the end of the io_context: what
/// run_load ended with. The io_context returns only once every coroutine of the run has.
std::exception_ptr run_until_the_callback_throws(const server_process& s, double rate) {
  primeloop::clients::load_config config;
  config.port = s.port;
  config.connections = 4;
  config.depth = 8;
  config.rate = rate;
  config.duration_s = 3;
  std::exception_ptr failure;
  asio::io_context io;
  asio::co_spawn(io,
                 primeloop::clients::run_load(
                     config, [](const auto&) { throw std::runtime_error("the caller gave up"); }),
                 [&](std::exception_ptr e, primeloop::clients::load_result) { failure = e; });
  io.run();
  return failure;
}

}  // namespace

TEST_CASE("A load run ended by an exception waits for its coroutines before it rethrows",
          "[client][load]") {
  auto s = start_server({"--executor", "inline", "--stats-interval", "0"});
  // With a coroutine left behind, it would go on after the run's state is gone (and the
  // sanitizer builds would say where).
  for (const double rate : {0.0, 2000.0}) {
    INFO("rate " << rate);
    const auto failure = run_until_the_callback_throws(s, rate);
    REQUIRE(failure);
    CHECK_THROWS_WITH(std::rethrow_exception(failure), "the caller gave up");
  }
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("A load run that cannot connect fails with the reason, closed or open loop",
          "[client][load]") {
  // A port nothing listens on: bound by a server that has exited.
  std::uint16_t port = 0;
  {
    auto s = start_server({"--stats-interval", "0"});
    port = s.port;
    s.proc.signal(SIGKILL);
    REQUIRE(s.proc.wait());
  }
  for (const double rate : {0.0, 1000.0}) {
    primeloop::clients::load_config config;
    config.port = port;
    config.connections = 2;
    config.rate = rate;
    config.duration_s = 1;
    std::exception_ptr failure;
    asio::io_context io;
    asio::co_spawn(io, primeloop::clients::run_load(config, {}),
                   [&](std::exception_ptr e, primeloop::clients::load_result) { failure = e; });
    io.run();
    INFO("rate " << rate);
    REQUIRE(failure);
    CHECK_THROWS_WITH(
        std::rethrow_exception(failure),
        "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }
}
