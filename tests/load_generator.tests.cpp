// The load generator's run outlives the coroutines it spawns, even when an exception ends it.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
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
