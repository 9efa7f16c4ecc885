#include "benchmarks/bench/bench_phases.hpp"

#include "clients/report.hpp"

#include <fmt/format.h>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <system_error>

namespace primeloop::bench {
namespace detail {

namespace net = asio;

namespace {

using clock = std::chrono::steady_clock;

/// Reads one line from s (the caller's buffer keeps what follows it).
net::awaitable<std::string> read_line(net::ip::tcp::socket& s, std::string& buffer) {
  const auto n =
      co_await net::async_read_until(s, net::dynamic_buffer(buffer), '\n', net::use_awaitable);
  std::string line = buffer.substr(0, n - 1);
  buffer.erase(0, n);
  co_return line;
}

/// One connection pipelines config.fair_backlog costly requests; once its first answer shows
/// the backlog is being computed, a fresh connection asks for 10 and times its answer. A timer
/// closes both sockets after 60 s, so a server that never answers ends the measurement.
net::awaitable<fairness_cell> measure_fairness(std::uint16_t port, const bench_config& config) {
  fairness_cell cell;
  const auto ex = co_await net::this_coro::executor;
  const net::ip::tcp::endpoint at(net::ip::address_v4::loopback(), port);
  net::ip::tcp::socket backlog(ex), fresh(ex);
  net::steady_timer deadline(ex);
  deadline.expires_after(std::chrono::seconds{60});
  deadline.async_wait([&](std::error_code ec) {
    if (ec) return;
    std::error_code ignored;
    backlog.close(ignored);
    fresh.close(ignored);
  });
  try {
    co_await backlog.async_connect(at, net::use_awaitable);
    std::string requests;
    for (unsigned i = 0; i < config.fair_backlog; ++i)
      requests += fmt::format("{}\n", config.fair_n);
    const auto start = clock::now();
    co_await net::async_write(backlog, net::buffer(requests), net::use_awaitable);
    std::string backlog_buffer, fresh_buffer;
    (void)co_await read_line(backlog, backlog_buffer);
    cell.first_answer = clock::now() - start;
    co_await fresh.async_connect(at, net::use_awaitable);
    const auto asked = clock::now();
    co_await net::async_write(fresh, net::buffer(std::string_view("10\n")), net::use_awaitable);
    const auto answer = co_await read_line(fresh, fresh_buffer);
    if (answer == "29") {
      cell.fresh_wait = clock::now() - asked;
    } else {
      cell.error = fmt::format("the fresh request got '{}'", answer);
    }
  } catch (const std::system_error& e) {
    cell.error = e.code() == net::error::operation_aborted || e.code() == net::error::bad_descriptor
                     ? "no answer within 60 s"
                     : e.code().message();
  }
  deadline.cancel();
  // Closing the backlog's connection ends its work: the server cancels what a gone client asked.
  std::error_code ignored;
  backlog.close(ignored);
  fresh.close(ignored);
  co_return cell;
}

/// A fresh request behind another connection's backlog: the pools take turns between
/// connections, so it waits about one computation per busy worker; inline for the computation
/// already running, then its turn.
constexpr std::chrono::nanoseconds fresh_wait_target = std::chrono::seconds{2};
constexpr std::chrono::nanoseconds inline_fresh_slack = std::chrono::seconds{1};
}  // namespace

net::awaitable<void> fair_phase(const bench_config& config, column_servers& columns,
                                bench_results& results, const progress_fn& progress) {
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    auto cell = co_await measure_fairness(columns.servers[i]->port(), config);
    cell.target = config.executors[i];
    progress(fmt::format(
        "  {:<16} fresh request answered after {} (one computation: {}){}", cell.target,
        cell.fresh_wait ? clients::human_duration(*cell.fresh_wait) : "-",
        clients::human_duration(cell.first_answer), cell.error.empty() ? "" : "  " + cell.error));
    results.fairness.push_back(std::move(cell));
  }
}

void fairness_targets(const bench_results& results, std::vector<target_check>& out) {
  for (const auto& cell : results.fairness) {
    const bool on_loop = base_executor(cell.target) == "inline";
    const auto bound = on_loop ? cell.first_answer + inline_fresh_slack : fresh_wait_target;
    target_check t{fmt::format("fresh request behind a pipelined backlog, {}", cell.target),
                   on_loop ? "<= one computation + 1 s" : "<= " + clients::human_duration(bound),
                   "", false};
    if (!cell.error.empty() || !cell.fresh_wait) {
      t.measured = cell.error.empty() ? "failed: no answer" : "failed: " + cell.error;
    } else {
      t.measured = clients::human_duration(*cell.fresh_wait);
      t.met = *cell.fresh_wait <= bound;
    }
    out.push_back(std::move(t));
  }
}

}  // namespace detail

using namespace detail;

std::string format_fairness(const std::vector<fairness_cell>& cells, const bench_config& config) {
  std::string out = fmt::format(
      "fairness: one connection pipelines {} x {}; once its first answer is back, a fresh\n"
      "connection asks for 10 and times its answer\n",
      config.fair_backlog, config.fair_n);
  out += fmt::format("{:<20} {:>16} {:>16}\n", "column", "fresh answer", "one computation");
  for (const auto& c : cells) {
    if (!c.error.empty()) {
      out += fmt::format("{:<20} failed: {}\n", c.target, c.error);
      continue;
    }
    out += fmt::format("{:<20} {:>16} {:>16}\n", c.target,
                       c.fresh_wait ? clients::human_duration(*c.fresh_wait) : "-",
                       clients::human_duration(c.first_answer));
  }
  return out;
}

}  // namespace primeloop::bench
