#include "benchmarks/reference/threaded_server.hpp"

#include <sys/socket.h>

#include <atomic>
#include <list>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "benchmarks/reference/reference_server.hpp"

namespace primeloop::reference {
namespace {

/// One connection's thread; `done` tells the accept loop it may be joined.
struct connection_thread {
  std::atomic<bool> done{false};
  std::thread thread;
};

/// Joins the threads whose connection ended (all of them when `all`).
void reap(std::list<connection_thread>& threads, bool all) {
  for (auto it = threads.begin(); it != threads.end();) {
    if (all || it->done.load(std::memory_order_acquire)) {
      it->thread.join();
      it = threads.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

int run_threaded_server(const reference_options& options) {
  reference_server server(
      options, "thread-per-conn",
      fmt::format("workers=per-connection max-connections={}", options.max_connections));
  return server.run([](const listener& l, connection_context& ctx) {
    std::list<connection_thread> threads;
    // The accepting thread runs "Python" too: it holds the lock except while it waits.
    std::optional<executors::gil::hold> held(std::in_place, ctx.lock);
    for (;;) {
      wait_result waited{};
      {
        const lock_released io(ctx.lock);
        // A finished connection is joined within a second even when nobody connects.
        waited = wait_readable(l.fd(), ctx.wake, std::chrono::seconds{1});
      }
      reap(threads, false);
      if (waited == wait_result::woken) break;
      if (waited == wait_result::timeout) continue;
      const int fd = ::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      unique_fd client(fd);
      if (threads.size() >= ctx.options.max_connections) {
        (void)write_all(client.get(), ctx.errors[errc::too_many_connections]);
        ctx.counters.errors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      configure_accepted(client.get(), ctx.options);
      auto& t = threads.emplace_back();
      ctx.counters.connections.fetch_add(1, std::memory_order_relaxed);
      ctx.counters.workers.fetch_add(1, std::memory_order_relaxed);  // one thread each
      t.thread = std::thread([&ctx, &t, socket = std::move(client)] {
        serve_connection(socket.get(), ctx);
        ctx.counters.connections.fetch_sub(1, std::memory_order_relaxed);
        ctx.counters.workers.fetch_sub(1, std::memory_order_relaxed);
        t.done.store(true, std::memory_order_release);
      });
    }
    // Threads wake from their waits (the wake event) or finish their computation within
    // --grace; the lock model is off by now, so none waits for it.
    held.reset();
    reap(threads, true);
  });
}

}  // namespace primeloop::reference
