// The inline policy in this process, on an io_context of its own: what it promises a
// connection (an answer from a later loop event, on the loop thread), what it refuses, what
// cancel_all, abort_all and --request-timeout do, and what its stats count.
#include <chrono>
#include <thread>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "executor_support.hpp"
#include "executors/inline_executor.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace ex = primeloop::executors;
using primeloop::errc;

namespace {

/// Every setting at its default but the queue's bound and a connection's share of it.
ex::executor_config with_queue(std::size_t queue_limit, std::size_t connection_limit = 0) {
  return config_with(0, queue_limit, connection_limit);
}

}  // namespace

TEST_CASE("The inline executor answers from a later loop event, on the loop thread",
          "[executors][inline]") {
  asio::io_context io;
  ex::inline_executor e(io.get_executor(), with_queue(100));
  recording_sink sink;
  REQUIRE(e.submit(10, sink, 7));
  // Not inside submit: the connection's read batch ends first.
  CHECK(sink.got.empty());
  CHECK(e.stats().queued == 1);
  io.run();
  REQUIRE(sink.got.size() == 1);
  CHECK(sink.got[0].tag == 7);
  CHECK(sink.got[0].result.value == 29);
  CHECK(sink.got[0].result.error == errc{});
  CHECK(sink.got[0].thread == std::this_thread::get_id());  // io.run() ran here
  CHECK(e.stats().queued == 0);
  e.stop();
}

TEST_CASE("The inline executor refuses a request when its queue is full", "[executors][inline]") {
  asio::io_context io;
  ex::inline_executor e(io.get_executor(), with_queue(2, 2));
  recording_sink a, b;
  REQUIRE(e.submit(1, a, 1));
  REQUIRE(e.submit(2, b, 2));
  CHECK_FALSE(e.submit(3, b, 3));  // nothing will be called for it
  CHECK(e.stats().queued == 2);
  io.run();
  REQUIRE(a.got.size() == 1);
  REQUIRE(b.got.size() == 1);
  CHECK(b.got[0].tag == 2);
  CHECK(b.got[0].result.value == 3);
  // Answered requests leave the queue: there is room again.
  CHECK(e.submit(3, b, 3));
  e.stop();
}

TEST_CASE("The inline executor refuses a connection past its share and still queues another's",
          "[executors][inline]") {
  asio::io_context io;
  ex::inline_executor e(io.get_executor(), with_queue(100, 1));
  recording_sink greedy, other;
  REQUIRE(e.submit(1, greedy, 1));
  CHECK_FALSE(e.submit(2, greedy, 2));
  CHECK(e.submit(2, other, 3));
  io.run();
  CHECK(greedy.got.size() == 1);
  CHECK(other.got.size() == 1);
  // Its answered request is given back: the connection may submit again.
  CHECK(e.submit(2, greedy, 4));
  e.stop();
}

TEST_CASE("The inline executor's cancel_all drops the connection's queued work, not another's",
          "[executors][inline][cancel]") {
  asio::io_context io;
  ex::inline_executor e(io.get_executor(), with_queue(100));
  recording_sink gone, stays;
  for (std::uint64_t tag = 1; tag <= 3; ++tag) REQUIRE(e.submit(10, gone, tag));
  REQUIRE(e.submit(10, stays, 4));
  e.cancel_all(gone);
  CHECK(e.stats().queued == 1);
  io.run();
  CHECK(gone.got.empty());
  REQUIRE(stays.got.size() == 1);
  CHECK(stays.got[0].result.value == 29);
  e.stop();
}

TEST_CASE("The inline executor's abort_all answers every queued request with the error at once",
          "[executors][inline][shutdown]") {
  asio::io_context io;
  ex::inline_executor e(io.get_executor(), with_queue(100));
  recording_sink a, b;
  REQUIRE(e.submit(10, a, 1));
  REQUIRE(e.submit(endless_n, b, 2));
  e.abort_all(errc::shutting_down);
  REQUIRE(a.got.size() == 1);
  REQUIRE(b.got.size() == 1);
  CHECK(a.got[0].result.error == errc::shutting_down);
  CHECK(b.got[0].result.error == errc::shutting_down);
  CHECK(e.stats().queued == 0);
  io.run();  // the turn posted for them finds nothing
  CHECK(a.got.size() == 1);
  e.stop();
}

TEST_CASE("The inline executor stops a computation at its --request-timeout",
          "[executors][inline][timeout]") {
  asio::io_context io;
  auto config = with_queue(100);
  config.request_timeout = std::chrono::milliseconds(50);
  ex::inline_executor e(io.get_executor(), config);
  recording_sink sink;
  REQUIRE(e.submit(endless_n, sink, 1));
  io.run();  // returns only because the computation checks its deadline
  REQUIRE(sink.got.size() == 1);
  CHECK(sink.got[0].result.error == errc::timeout);
  e.stop();
}

TEST_CASE("The inline executor counts its queue and one worker, the loop, and stops accepting",
          "[executors][inline][stats]") {
  asio::io_context io;
  ex::inline_executor e(io.get_executor(), with_queue(100));
  recording_sink sink;
  CHECK(e.stats().workers == 1);
  CHECK(e.stats().busy == 0);
  REQUIRE(e.submit(10, sink, 1));
  REQUIRE(e.submit(11, sink, 2));
  CHECK(e.stats().queued == 2);
  e.stop();
  CHECK(e.stats().queued == 0);
  CHECK_FALSE(e.submit(12, sink, 3));
  io.run();
  CHECK(sink.got.empty());  // stop() answers nothing
  e.stop();                 // a second stop does nothing
}
