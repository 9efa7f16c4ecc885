#include "benchmarks/reference/blocking_server.hpp"

#include <sys/socket.h>

#include "benchmarks/reference/reference_server.hpp"

namespace primeloop::reference {

int run_blocking_server(const reference_options& options) {
  reference_server server(options, "blocking", "workers=1");
  return server.run([](const listener& l, connection_context& ctx) {
    ctx.counters.workers.store(1, std::memory_order_relaxed);
    while (wait_readable(l.fd(), ctx.wake, {}) == wait_result::ready) {
      unique_fd client(::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC));
      if (client.get() < 0) continue;  // a connection reset before it was accepted
      configure_accepted(client.get(), ctx.options);
      ctx.counters.connections.store(1, std::memory_order_relaxed);
      serve_connection(client.get(), ctx);
      ctx.counters.connections.store(0, std::memory_order_relaxed);
    }
  });
}

}  // namespace primeloop::reference
