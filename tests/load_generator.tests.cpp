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

TEST_CASE("A load run ended by an exception waits for its connections before it rethrows",
          "[client][load]") {
  auto s = start_server({"--executor", "inline", "--stats-interval", "0"});
  primeloop::clients::load_config config;
  config.port = s.port;
  config.connections = 4;
  config.depth = 8;
  config.duration_s = 3;
  std::exception_ptr failure;
  bool finished = false;
  asio::io_context io;
  asio::co_spawn(io,
                 primeloop::clients::run_load(
                     config, [](const auto&) { throw std::runtime_error("the caller gave up"); }),
                 [&](std::exception_ptr e, primeloop::clients::load_result) {
                   failure = e;
                   finished = true;
                 });
  // With a driver left behind, run() would go on with it after the run's state is gone (and
  // the sanitizer builds would say where); here it returns once everything has ended.
  io.run();
  REQUIRE(finished);
  REQUIRE(failure);
  CHECK_THROWS_WITH(std::rethrow_exception(failure), "the caller gave up");
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("An open-loop run ended by an exception waits for its coroutines before it rethrows",
          "[client][load]") {
  auto s = start_server({"--executor", "inline", "--stats-interval", "0"});
  primeloop::clients::load_config config;
  config.port = s.port;
  config.connections = 4;
  config.rate = 2000;
  config.duration_s = 3;
  std::exception_ptr failure;
  bool finished = false;
  asio::io_context io;
  asio::co_spawn(io,
                 primeloop::clients::run_load(
                     config, [](const auto&) { throw std::runtime_error("the caller gave up"); }),
                 [&](std::exception_ptr e, primeloop::clients::load_result) {
                   failure = e;
                   finished = true;
                 });
  io.run();
  REQUIRE(finished);
  REQUIRE(failure);
  CHECK_THROWS_WITH(std::rethrow_exception(failure), "the caller gave up");
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
    CHECK(failure);
  }
}
