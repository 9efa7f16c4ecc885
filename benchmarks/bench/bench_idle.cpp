// The idle phase: what many idle connections cost each column's server.
#include <fmt/format.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>
#include <vector>

#include "benchmarks/bench/bench_phases.hpp"
#include "benchmarks/harness/process_probe.hpp"
#include "clients/connect.hpp"

namespace primeloop::bench {
namespace detail {

namespace net = asio;

namespace {

using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
using clients::use_tuple;
constexpr unsigned check_every = 1000;
/// What an idle connection may cost in server RSS: a connection that has sent nothing holds
/// one coroutine frame and its socket's wait, no buffer and no timer.
constexpr double per_connection_target_bytes = 3 * 1024;

double mib(std::uint64_t kib) {
  return static_cast<double>(kib) / 1024;
}

/// Server RSS the open connections added, per connection.
double per_connection_bytes(const idle_cell& c) {
  if (c.opened == 0) return 0;
  return static_cast<double>(c.rss_kib - std::min(c.rss_kib, c.rss_before_kib)) * 1024 / c.opened;
}

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

/// Opens count connections to 127.0.0.1:port and leaves them idle, then reads the memory of
/// the server process pid and its group (pid is the group's leader). Every 1000 connections,
/// and after the last, one "1" request goes out on the newest connection and must be answered:
/// the server has then accepted all before it (its accept queue is first in, first out), so the
/// queue never overflows, and the figure is that of a server that still works. The connections
/// close when it returns. Fails (error set) past deadline.
net::awaitable<idle_cell> measure_idle_connections(std::uint16_t port, pid_t pid, unsigned count,
                                                   std::chrono::milliseconds deadline) {
  const auto ex = co_await net::this_coro::executor;
  const auto until = clock::now() + deadline;
  idle_cell cell;
  cell.requested = count;
  cell.rss_before_kib = harness::proc_status_value(pid, "VmRSS").value_or(0);
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
  cell.rss_kib = harness::proc_status_value(pid, "VmRSS").value_or(0);
  cell.server_fds = harness::open_fd_count(pid);
  for (const pid_t member : harness::living_group_members(pid)) {
    cell.group_rss_kib += harness::proc_status_value(member, "VmRSS").value_or(0);
  }
  co_return cell;
}

}  // namespace

net::awaitable<void> idle_phase(const bench_config& config, column_servers& columns,
                                bench_results& results, const progress_fn& progress) {
  const auto limit = raise_open_file_limit();
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    auto& server = *columns.servers[i];
    idle_cell cell;
    // The connections, the servers' pipes and the load client's sockets all need descriptors.
    if (limit < config.idle_connections + 64) {
      cell.requested = config.idle_connections;
      cell.error = fmt::format("open file limit {} too low for {} connections (ulimit -n)", limit,
                               config.idle_connections);
    } else {
      cell = co_await measure_idle_connections(server.port(), server.pid(), config.idle_connections,
                                               std::chrono::seconds{60});
    }
    cell.target = config.executors[i];
    progress(fmt::format(
        "  {:<16} {} idle connections: server VmRSS {:.1f} MiB (before {:.1f} MiB), {} fds, "
        "group {:.1f} MiB{}",
        cell.target, cell.opened, mib(cell.rss_kib), mib(cell.rss_before_kib), cell.server_fds,
        mib(cell.group_rss_kib), cell.error.empty() ? "" : "  " + cell.error));
    results.idle.push_back(std::move(cell));
  }
}

void idle_targets(const bench_results& results, std::vector<target_check>& out) {
  for (const auto& cell : results.idle) {
    target_check t{
        fmt::format("server RSS per idle connection, {} x {}", cell.target, cell.requested),
        fmt::format("<= {:.0f} bytes", per_connection_target_bytes), "", false};
    if (cell.error.empty()) {
      const double per = per_connection_bytes(cell);
      t.measured = fmt::format("{:.0f} bytes ({:.1f} MiB)", per, mib(cell.rss_kib));
      t.met = per <= per_connection_target_bytes;
    } else {
      t.measured = "failed: " + cell.error;
    }
    out.push_back(std::move(t));
  }
}

void idle_figures(const bench_results& results, const figure_fn& add) {
  for (const auto& c : results.idle) {
    if (!c.error.empty()) continue;
    add("idle", c.target, "connections", c.opened, "count");
    add("idle", c.target, "rss_before", static_cast<double>(c.rss_before_kib), "KiB");
    add("idle", c.target, "rss", static_cast<double>(c.rss_kib), "KiB");
    add("idle", c.target, "group_rss", static_cast<double>(c.group_rss_kib), "KiB");
    add("idle", c.target, "fds", static_cast<double>(c.server_fds), "count");
  }
}

}  // namespace detail

using namespace detail;

std::string format_idle(const std::vector<idle_cell>& cells, const bench_config& config) {
  std::string out = fmt::format(
      "idle connections: {} opened one by one, a request answered on the last; VmRSS of the "
      "server process (group: with its workers, shared pages counted in each)\n",
      config.idle_connections);
  out += fmt::format("{:<16} {:>8} {:>12} {:>12} {:>14} {:>8} {:>12}\n", "column", "opened",
                     "RSS before", "RSS open", "per connection", "fds", "group RSS");
  for (const auto& c : cells) {
    if (!c.error.empty()) {
      out += fmt::format("{:<16} failed: {}\n", c.target, c.error);
      continue;
    }
    const double per = per_connection_bytes(c);
    out += fmt::format("{:<16} {:>8} {:>8.1f} MiB {:>8.1f} MiB {:>8.0f} bytes {:>8} {:>8.1f} MiB\n",
                       c.target, c.opened, mib(c.rss_before_kib), mib(c.rss_kib), per, c.server_fds,
                       mib(c.group_rss_kib));
  }
  return out;
}

}  // namespace primeloop::bench
