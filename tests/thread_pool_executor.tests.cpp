// The threads policy in this process, on an io_context of its own: answers computed on a pool
// thread reach the sink on the loop thread, a full queue refuses, cancel_all drops queued work
// and stops running work, and the stats count what waits and what computes.
#include <chrono>
#include <thread>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "executor_support.hpp"
#include "executors/thread_pool_executor.hpp"
#include "test_support.hpp"

using namespace primeloop::test;
namespace ex = primeloop::executors;
using primeloop::errc;

namespace {

/// Every setting at its default but the pool's size and the queue's bound.
ex::executor_config with_workers(std::size_t workers, std::size_t queue_limit = 100) {
  return config_with(workers, queue_limit);
}

}  // namespace

TEST_CASE("The thread pool answers through the sink on the loop thread, never inside submit",
          "[executors][threads]") {
  asio::io_context io;
  ex::thread_pool_executor e(io.get_executor(), with_workers(2));
  recording_sink sink;
  REQUIRE(e.submit(10, sink, 7));
  REQUIRE(e.submit(1000, sink, 8));
  CHECK(sink.got.empty());
  REQUIRE(eventually([&] { return sink.got.size() == 2; }, default_deadline, running(io)));
  for (const auto& h : sink.got) {
    CHECK(h.thread == std::this_thread::get_id());  // the loop's: io runs here
    CHECK(h.result.error == errc{});
    CHECK(h.result.value == (h.tag == 7 ? 29U : 7919U));
  }
  e.stop();
}

TEST_CASE("The thread pool refuses a request when its queue is full", "[executors][threads]") {
  asio::io_context io;
  ex::thread_pool_executor e(io.get_executor(), with_workers(1, 2));
  recording_sink a, b;
  // The loop has not run: both wait, neither is with a thread yet.
  REQUIRE(e.submit(endless_n, a, 1));
  REQUIRE(e.submit(10, b, 2));
  CHECK_FALSE(e.submit(10, b, 3));  // nothing will be called for it
  CHECK(e.stats().queued == 2);
  CHECK(e.stats().busy == 0);
  REQUIRE(eventually([&] { return e.stats().busy == 1; }, default_deadline, running(io)));
  CHECK(e.stats().queued == 1);
  e.cancel_all(a);
  REQUIRE(eventually([&] { return b.got.size() == 1; }, default_deadline, running(io)));
  CHECK(b.got[0].tag == 2);
  CHECK(a.got.empty());
  e.stop();
}

TEST_CASE("The thread pool's cancel_all drops queued work and stops the running computation",
          "[executors][threads][cancel]") {
  asio::io_context io;
  ex::thread_pool_executor e(io.get_executor(), with_workers(1));
  recording_sink gone, stays;
  REQUIRE(e.submit(endless_n, gone, 1));
  REQUIRE(eventually([&] { return e.stats().busy == 1; }, default_deadline, running(io)));
  REQUIRE(e.submit(endless_n, gone, 2));
  REQUIRE(e.submit(10, stays, 3));
  CHECK(e.stats().queued == 2);
  e.cancel_all(gone);
  CHECK(e.stats().queued == 1);
  // The only thread computes something that would take hours: the answer to the other
  // connection comes only because that computation stopped.
  REQUIRE(eventually([&] { return stays.got.size() == 1; }, default_deadline, running(io)));
  CHECK(stays.got[0].result.value == 29);
  // The stopped computation came back to the loop before that answer, and was dropped.
  CHECK(gone.got.empty());
  CHECK(e.stats().busy == 0);
  e.stop();
}

TEST_CASE("The thread pool's abort_all answers queued and running work with the error at once",
          "[executors][threads][shutdown]") {
  asio::io_context io;
  ex::thread_pool_executor e(io.get_executor(), with_workers(1));
  recording_sink sink;
  REQUIRE(e.submit(endless_n, sink, 1));
  REQUIRE(eventually([&] { return e.stats().busy == 1; }, default_deadline, running(io)));
  REQUIRE(e.submit(10, sink, 2));
  e.abort_all(errc::shutting_down);
  REQUIRE(sink.got.size() == 2);
  CHECK(sink.got[0].result.error == errc::shutting_down);
  CHECK(sink.got[1].result.error == errc::shutting_down);
  // The stopped computation comes back through the loop before the next answer, and is not
  // answered twice.
  REQUIRE(e.submit(10, sink, 3));
  REQUIRE(eventually([&] { return sink.got.size() >= 3; }, default_deadline, running(io)));
  CHECK(sink.got.size() == 3);
  CHECK(sink.got[2].tag == 3);
  CHECK(sink.got[2].result.value == 29);
  e.stop();
}

TEST_CASE("The thread pool counts its threads, what computes and what waits",
          "[executors][threads][stats]") {
  asio::io_context io;
  ex::thread_pool_executor e(io.get_executor(), with_workers(3));
  CHECK(e.stats().workers == 3);
  CHECK(e.stats().busy == 0);
  CHECK(e.stats().queued == 0);
  recording_sink sink;
  for (std::uint64_t tag = 1; tag <= 4; ++tag) REQUIRE(e.submit(endless_n, sink, tag));
  CHECK(e.stats().queued == 4);
  REQUIRE(eventually([&] { return e.stats().busy == 3; }, default_deadline, running(io)));
  CHECK(e.stats().queued == 1);
  CHECK(e.stats().crashes == 0);
  e.cancel_all(sink);
  REQUIRE(eventually([&] { return e.stats().busy == 0; }, default_deadline, running(io)));
  CHECK(e.stats().queued == 0);
  e.stop();
  CHECK(sink.got.empty());
}
