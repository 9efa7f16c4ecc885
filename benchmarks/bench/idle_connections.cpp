#include "benchmarks/bench/idle_connections.hpp"

#include <fmt/format.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <vector>

#include "benchmarks/harness/process_probe.hpp"
#include "benchmarks/harness/server_child.hpp"
#include "clients/connect.hpp"

namespace primeloop::lab {
namespace {

namespace net = asio;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
using clients::use_tuple;
constexpr unsigned check_every = 1000;

/// Sends "1" and waits for its answer until the deadline; an empty string when it came.
net::awaitable<std::string> ask_one(tcp::socket& socket, clock::time_point until) {
  using namespace net::experimental::awaitable_operators;
  if (auto [ec, n] = co_await net::async_write(socket, net::buffer("1\n", 2), use_tuple); ec) {
    co_return fmt::format("cannot send a request: {}", ec.message());
  }
  std::string reply;
  net::steady_timer timer(socket.get_executor(), until);
  auto r = co_await (net::async_read_until(socket, net::dynamic_buffer(reply), '\n', use_tuple) ||
                     timer.async_wait(use_tuple));
  if (r.index() == 1) co_return "no answer to a request before the deadline";
  if (auto [ec, n] = std::get<0>(r); ec) co_return fmt::format("no answer: {}", ec.message());
  if (reply != "2\n")
    co_return fmt::format("answered '{}' to 1", reply.substr(0, reply.size() - 1));
  co_return std::string();
}

}  // namespace

net::awaitable<idle_cell> measure_idle_connections(std::uint16_t port, pid_t pid, unsigned count,
                                                   std::chrono::milliseconds deadline) {
  const auto ex = co_await net::this_coro::executor;
  const auto until = clock::now() + deadline;
  idle_cell cell;
  cell.requested = count;
  cell.rss_before_kib = proc_status_kib(pid, "VmRSS").value_or(0);
  const tcp::endpoint server(net::ip::make_address_v4("127.0.0.1"), port);
  std::vector<tcp::socket> sockets;
  sockets.reserve(count);
  // One connection at a time: on loopback a connect completes within the kernel, so 10,000 take
  // well under a second, and the server is never asked to accept a burst.
  for (unsigned i = 0; i < count; ++i) {
    sockets.emplace_back(ex);
    if (auto [ec] = co_await sockets.back().async_connect(server, use_tuple); ec) {
      cell.error = fmt::format("connection {} of {} failed: {}", i + 1, count, ec.message());
      co_return cell;
    }
    ++cell.opened;
    if ((i + 1) % check_every == 0 || i + 1 == count) {
      if (auto e = co_await ask_one(sockets.back(), until); !e.empty()) {
        cell.error = fmt::format("after {} connections: {}", i + 1, e);
        co_return cell;
      }
    }
    if (clock::now() > until) {
      cell.error =
          fmt::format("only {} of {} connections opened in {} ms", i + 1, count, deadline.count());
      co_return cell;
    }
  }
  cell.answered = true;
  cell.rss_kib = proc_status_kib(pid, "VmRSS").value_or(0);
  cell.server_fds = open_fd_count(pid);
  for (const pid_t member : living_group_members(pid)) {
    cell.group_rss_kib += proc_status_kib(member, "VmRSS").value_or(0);
  }
  co_return cell;
}

}  // namespace primeloop::lab
