#include "clients/long_client.hpp"

#include <fmt/format.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/read_until.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <exception>
#include <string_view>

#include "clients/connect.hpp"

namespace primeloop::clients {

namespace net = asio;

asio::awaitable<void> run_long_client(asio::ip::tcp::socket& socket, asio::steady_timer& timer,
                                      long_client_context ctx, long_client_state& state) {
  using clock = std::chrono::steady_clock;
  // Ended on purpose (the run closed the socket) is as normal an end as the run stopping.
  const auto done = [&] { return *ctx.stopping || state.ended; };
  timer.expires_at(ctx.start_at);
  co_await timer.async_wait(use_tuple);
  if (done()) co_return;
  try {
    co_await connect_to(socket, ctx.host, ctx.port);
  } catch (const std::exception& e) {
    if (!done()) ctx.note_failure(fmt::format("long request: {}", e.what()));
    co_return;
  }
  const std::string request = fmt::format("{}\n", ctx.n);
  std::string in;
  while (!done()) {
    const auto sent = clock::now();
    state.outstanding = true;
    state.active_in_second = true;
    auto [wec, w] = co_await net::async_write(socket, net::buffer(request), use_tuple);
    if (wec) {
      if (!done()) ctx.note_failure(fmt::format("long request: cannot send: {}", wec.message()));
      co_return;
    }
    auto [rec, len] =
        co_await net::async_read_until(socket, net::dynamic_buffer(in), '\n', use_tuple);
    if (rec) {
      if (!done()) ctx.note_failure(fmt::format("long request: cannot read: {}", rec.message()));
      co_return;
    }
    state.outstanding = false;
    const std::string_view line(in.data(), len - 1);
    if (line.starts_with("ERR")) {
      ctx.note_failure(fmt::format("long request n={} answered '{}'", ctx.n, line));
      co_return;
    }
    if (*ctx.measuring) {
      ++state.completed;
      state.latencies.push_back(clock::now() - sent);
    }
    in.erase(0, len);
  }
}

}  // namespace primeloop::clients
