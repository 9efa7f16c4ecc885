// A command run to its end from a coroutine: its output, status and times come back while the
// loop goes on serving other work.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <system_error>

#include <catch2/catch.hpp>

#include "benchmarks/harness/process_probe.hpp"

namespace harness = primeloop::harness;
using namespace std::chrono_literals;

TEST_CASE("A timed command run from a coroutine does not block the loop", "[process_probe]") {
  asio::io_context io;
  std::optional<harness::command_run> run;
  std::exception_ptr failure;
  int ticks_meanwhile = 0;
  asio::co_spawn(io, harness::run_timed({"/bin/sh", "-c", "sleep 0.3; echo done; exit 4"}),
                 [&](std::exception_ptr e, harness::command_run r) {
                   failure = e;
                   run = std::move(r);
                 });
  // Another coroutine on the same loop: it runs while the command does.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io);
        while (!run && !failure) {
          ++ticks_meanwhile;
          t.expires_after(10ms);
          co_await t.async_wait(asio::use_awaitable);
        }
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  REQUIRE_FALSE(failure);
  REQUIRE(run);
  CHECK(run->output == "done\n");
  CHECK(run->exit_status == 4);
  CHECK(run->time.wall >= 300ms);
  CHECK(ticks_meanwhile > 1);
}

TEST_CASE("A timed command that cannot run throws", "[process_probe]") {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, harness::run_timed({"/nonexistent/primeloop-nothing"}),
                 [&](std::exception_ptr e, harness::command_run) { failure = e; });
  io.run();
  REQUIRE(failure);
  CHECK_THROWS_AS(std::rethrow_exception(failure), std::system_error);
}
