// The process pool in this test process, on an io_context of its own: the back-off of a worker
// that cannot start, and a reaper that reaps only the pool's own children. Workers are made to
// fail through the config's start hook, which runs first in every forked worker.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "executors/process_pool_executor.hpp"
#include "pool_support.hpp"

using namespace primeloop::test;
namespace ex = primeloop::executors;

namespace {

// Read by the start hook in the child, so only what fork copies: set them before the fork.
int stamp_fd = -1;          // write end of a pipe: each worker writes its start time there
bool fail_at_start = true;  // each worker exits at once

/// The start hook: async-signal-safe calls only (the child of a fork).
void stamp_and_maybe_fail() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const std::int64_t ns = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  if (::write(stamp_fd, &ns, sizeof ns) < 0) ::_exit(71);
  if (fail_at_start) ::_exit(70);
}

/// The workers' start times, read from the pipe as they come.
class start_stamps {
 public:
  start_stamps() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read_ = fds[0];
    stamp_fd = fds[1];
    ::fcntl(read_, F_SETFL, O_NONBLOCK);
  }
  ~start_stamps() {
    ::close(read_);
    ::close(stamp_fd);
    stamp_fd = -1;
  }
  start_stamps(const start_stamps&) = delete;
  start_stamps& operator=(const start_stamps&) = delete;

  const std::vector<std::chrono::nanoseconds>& poll() {
    std::int64_t ns = 0;
    while (::read(read_, &ns, sizeof ns) == sizeof ns) times_.emplace_back(ns);
    return times_;
  }

 private:
  int read_ = -1;
  std::vector<std::chrono::nanoseconds> times_;
};

struct recording_sink final : ex::result_sink {
  std::vector<ex::outcome> got;
  void on_result(std::uint64_t, ex::outcome result) override { got.push_back(result); }
};

/// Runs the loop until the pool's only worker is a new process and the old one, `gone`, is
/// reaped (its /proc entry is gone, zombie included).
bool worker_replaced(asio::io_context& io, ex::process_pool_executor& pool, pid_t gone) {
  return eventually(
      [&] {
        const pid_t now = pool.worker_pids().at(0);
        return now != 0 && now != gone && !read_stat(gone);
      },
      default_deadline, running(io));
}

/// A configuration with `workers` workers and every other setting at its default.
ex::executor_config with_workers(std::size_t workers) {
  ex::executor_config config;
  config.workers = workers;
  return config;
}

/// The pid of a one-worker pool's worker, which must have started.
pid_t only_worker(const ex::process_pool_executor& pool) {
  const pid_t pid = pool.worker_pids().at(0);
  REQUIRE(pid > 0);
  return pid;
}

}  // namespace

TEST_CASE("A worker that keeps dying at start-up is restarted after doubling waits",
          "[pool][processes][backoff]") {
  start_stamps stamps;
  fail_at_start = true;
  asio::io_context io;
  auto config = with_workers(1);
  config.request_timeout = std::chrono::milliseconds(500);
  config.worker_start_hook = &stamp_and_maybe_fail;
  ex::process_pool_executor pool(io.get_executor(), config);

  // The first death is respawned at once; then 100, 200, 400, 800 ms. Never sooner: a fork
  // storm (or a back-off that only prints its delays) fails here.
  REQUIRE(eventually([&] { return stamps.poll().size() >= 5 && pool.stats().crashes >= 5; },
                     default_deadline, running(io)));
  const auto& t = stamps.poll();
  const std::chrono::milliseconds promised[] = {0ms, 0ms, 100ms, 200ms, 400ms};
  for (std::size_t i = 1; i < 5; ++i) {
    INFO("start " << i);
    CHECK(t[i] - t[i - 1] >= promised[i]);
  }
  CHECK(pool.stats().cancel_kills == 0);

  // The slot now waits 800 ms. The loop keeps serving: a request waits in the queue and ends at
  // its 500 ms deadline, which comes first.
  recording_sink sink;
  REQUIRE(pool.submit(10, sink, 1));
  REQUIRE(eventually([&] { return !sink.got.empty(); }, default_deadline, running(io)));
  CHECK(sink.got[0].error == primeloop::errc::timeout);

  // A worker that can start serves, and the pool stops trying.
  fail_at_start = false;
  REQUIRE(pool.submit(10, sink, 2));
  REQUIRE(eventually([&] { return sink.got.size() == 2; }, default_deadline, running(io)));
  CHECK(sink.got[1].error == primeloop::errc{});
  CHECK(sink.got[1].value == 29);
  CHECK(stamps.poll().size() == 6);  // 800 ms after the fifth
  CHECK(stamps.poll()[5] - stamps.poll()[4] >= 800ms);
  pool.stop();
}

TEST_CASE("The pool reaps its own workers and leaves other children of the process alone",
          "[pool][processes][reaper]") {
  const pid_t other = ::fork();
  REQUIRE(other >= 0);
  if (other == 0) ::_exit(3);
  // Dead before the pool sees any SIGCHLD: a reaper that waited for "any child" would take it.
  REQUIRE(eventually([&] {
    const auto st = read_stat(other);
    return st && st->state == 'Z';
  }));

  asio::io_context io;
  ex::process_pool_executor pool(io.get_executor(), with_workers(1));
  const pid_t first = only_worker(pool);
  ::kill(first, SIGKILL);
  // Replaced, and the dead worker reaped (its /proc entry is gone, zombie included).
  REQUIRE(worker_replaced(io, pool, first));
  CHECK(pool.stats().crashes == 1);
  CHECK(pool.stats().cancel_kills == 0);

  int st = 0;
  CHECK(::waitpid(other, &st, WNOHANG) == other);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 3);
  pool.stop();
}

TEST_CASE("A worker killed to cancel a request counts as a cancel kill, not as a crash",
          "[pool][processes][cancel]") {
  asio::io_context io;
  ex::process_pool_executor pool(io.get_executor(), with_workers(1));
  const pid_t first = only_worker(pool);

  recording_sink sink;
  REQUIRE(pool.submit(50000, sink, 1));  // naive: seconds of CPU
  REQUIRE(eventually([&] { return pool.stats().busy == 1; }, default_deadline, running(io)));
  pool.cancel_all(sink);
  REQUIRE(worker_replaced(io, pool, first));
  CHECK(pool.stats().cancel_kills == 1);
  CHECK(pool.stats().crashes == 0);
  CHECK(sink.got.empty());  // a cancelled request is not answered

  // A worker that dies on its own is a crash, and leaves the kill count alone.
  const pid_t second = pool.worker_pids().at(0);
  ::kill(second, SIGKILL);
  REQUIRE(worker_replaced(io, pool, second));
  CHECK(pool.stats().crashes == 1);
  CHECK(pool.stats().cancel_kills == 1);
  pool.stop();
}

TEST_CASE("A cheap request joins the worker already computing rather than wake an idle one",
          "[pool][processes][schedule]") {
  asio::io_context io;
  ex::process_pool_executor pool(io.get_executor(), with_workers(2));
  const auto pids = pool.worker_pids();
  REQUIRE(pids.at(0) > 0);
  REQUIRE(pids.at(1) > 0);
  // The first worker is stopped, so what it is sent stays in it until it is continued.
  REQUIRE(::kill(pids[0], SIGSTOP) == 0);

  struct tag_sink final : ex::result_sink {
    std::vector<std::uint64_t> tags;
    void on_result(std::uint64_t tag, ex::outcome) override { tags.push_back(tag); }
  } sink;
  REQUIRE(pool.submit(1, sink, 1));  // both idle: the first worker takes it
  CHECK(pool.stats().busy == 1);
  io.poll();  // a later pass of the loop: the first one is written to its worker
  REQUIRE(pool.submit(1, sink, 2));
  CHECK(pool.stats().busy == 1);        // it joined the busy worker; the idle one was not woken
  REQUIRE(pool.submit(3000, sink, 3));  // costly: it goes to an idle worker only
  CHECK(pool.stats().busy == 2);

  REQUIRE(::kill(pids[0], SIGCONT) == 0);
  REQUIRE(eventually([&] { return sink.tags.size() == 3; }, default_deadline, running(io)));
  // The two cheap ones came back from the first worker, in the order they were sent.
  const auto first = std::find(sink.tags.begin(), sink.tags.end(), 1);
  const auto second = std::find(sink.tags.begin(), sink.tags.end(), 2);
  CHECK(first < second);
  pool.stop();
}
