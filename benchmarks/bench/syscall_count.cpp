#include "benchmarks/bench/syscall_count.hpp"

#include "benchmarks/bench/bench_phases.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "benchmarks/harness/server_child.hpp"
#include "clients/load_generator.hpp"

namespace primeloop::bench {
namespace {

namespace net = asio;
using clock = std::chrono::steady_clock;
constexpr std::chrono::seconds start_deadline{10};
constexpr std::chrono::seconds attach_deadline{10};
/// strace writes its summary when SIGTERM detaches it; the server has its own grace.
constexpr std::chrono::seconds stop_grace{5};

bool parse_count(std::string_view s, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

/// True once a tracer is attached to pid (its TracerPid in /proc is not 0).
bool traced(pid_t pid) {
  return harness::proc_status_value(pid, "TracerPid").value_or(0) != 0;
}

/// The last non-empty line of a file ("" when there is none): what a program said last.
std::string last_line_of(const std::filesystem::path& path) {
  std::ifstream f(path);
  std::string last;
  for (std::string line; std::getline(f, line);) {
    if (!line.empty()) last = line;
  }
  return last;
}

net::awaitable<void> pause_for(std::chrono::milliseconds d) {
  net::steady_timer t(co_await net::this_coro::executor, d);
  co_await t.async_wait(net::use_awaitable);
}

net::awaitable<syscall_cell> measure_one(const syscall_config& config,
                                         const syscall_target& target) {
  syscall_cell cell;
  cell.target = target.name;
  const auto ex = co_await net::this_coro::executor;
  const auto summary = config.out_dir / fmt::format("bench-syscalls-{}.txt", target.name);
  std::filesystem::remove(summary);
  harness::server_child server(
      ex, target.argv,
      (config.out_dir / fmt::format("bench-server-syscalls-{}.log", target.name)).string());
  try {
    co_await server.wait_listening(start_deadline);
    // Every process of the server's group: the loop's and, for processes, the workers.
    const auto pids = harness::living_group_members(server.pid());
    std::vector<std::string> argv{config.strace.string(), "-c", "-f", "-o", summary.string()};
    for (const pid_t p : pids) {
      argv.push_back("-p");
      argv.push_back(std::to_string(p));
    }
    const auto log = config.out_dir / fmt::format("bench-strace-{}.log", target.name);
    harness::server_child strace(ex, argv, log.string());
    const auto until = clock::now() + attach_deadline;
    while (!std::all_of(pids.begin(), pids.end(), traced)) {
      // strace ends at once when it may not trace (ptrace refused in a container, say).
      if (harness::living_group_members(strace.pid()).empty()) {
        co_await strace.stop(stop_grace);
        throw std::runtime_error("strace ended without attaching: " + last_line_of(log));
      }
      if (clock::now() >= until) throw std::runtime_error("strace did not attach within 10 s");
      co_await pause_for(std::chrono::milliseconds{10});
    }
    clients::load_config load;
    load.port = server.port();
    load.connections = config.connections;
    load.n = 1;
    load.depth = 1;
    load.duration_s = config.duration_s;
    const auto r = co_await clients::run_load(load);
    // Answered with a number or ERR, or still on its way at the end: each was read and
    // computed, and most were written too.
    cell.requests = r.completed + r.errors + r.unfinished;
    co_await strace.stop(stop_grace);
    std::ifstream in(summary);
    std::stringstream text;
    text << in.rdbuf();
    cell.calls = parse_strace_summary(text.str());
    if (cell.calls.empty()) cell.error = "strace wrote no summary (see bench-strace-*.log)";
    if (cell.requests == 0) cell.error = "no request was answered";
  } catch (const std::exception& e) {
    cell.error = e.what();
  }
  co_await server.stop(stop_grace);
  co_return cell;
}

}  // namespace

std::map<std::string, syscall_tally> parse_strace_summary(std::string_view text) {
  // % time, seconds, usecs/call, calls, [errors], syscall: the errors column is blank when
  // none failed.
  std::map<std::string, syscall_tally> out;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (w.size() != 5 && w.size() != 6) continue;
    const auto& name = w.back();
    if (name == "total" || name == "syscall" ||
        !std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; })) {
      continue;
    }
    syscall_tally t;
    if (!parse_count(w[3], t.calls)) continue;
    if (w.size() == 6 && !parse_count(w[4], t.errors)) continue;
    out[name] = t;
  }
  return out;
}

double syscall_cell::per_request(std::string_view name) const {
  if (requests == 0) return 0;
  std::uint64_t n = 0;
  for (const auto& [k, t] : calls) {
    if (name.empty() || k == name) n += t.calls;
  }
  return static_cast<double>(n) / static_cast<double>(requests);
}

net::awaitable<std::vector<syscall_cell>> measure_syscalls(
    const syscall_config& config, const std::vector<syscall_target>& targets,
    const std::function<void(const std::string&)>& progress) {
  std::vector<syscall_cell> cells;
  for (const auto& target : targets) {
    if (config.strace.empty()) {
      cells.push_back({target.name, 0, {}, "skipped: strace not found on PATH (Debian: strace)"});
      continue;
    }
    auto cell = co_await measure_one(config, target);
    progress(cell.error.empty()
                 ? fmt::format("  {:<16} {:.2f} system calls per request ({} requests)",
                               cell.target, cell.per_request(), cell.requests)
                 : fmt::format("  {:<16} failed: {}", cell.target, cell.error));
    cells.push_back(std::move(cell));
  }
  if (config.strace.empty() && !cells.empty()) progress("  " + cells.front().error);
  co_return cells;
}

std::string format_syscalls(const std::vector<syscall_cell>& cells, const syscall_config& config) {
  std::string out = fmt::format(
      "system calls per request: strace -c -f on the server's processes, {} connections "
      "ping-pong n=1 for {} s\n(strace slows the server down; the calls per request are the "
      "figure, not the rate; in brackets: how many of them failed)\n",
      config.connections, config.duration_s);
  out += fmt::format("  {:<16} {:>9} {:>9}  {}\n", "target", "requests", "calls/req", "by name");
  for (const auto& c : cells) {
    if (!c.error.empty()) {
      out += fmt::format("  {:<16} {}\n", c.target, c.error);
      continue;
    }
    std::vector<std::pair<std::string, syscall_tally>> rows(c.calls.begin(), c.calls.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.calls > b.second.calls; });
    std::string names;
    const auto per = [&](std::uint64_t n) {
      return static_cast<double>(n) / static_cast<double>(c.requests);
    };
    for (const auto& [name, t] : rows) {
      if (per(t.calls) < 0.01) break;
      if (!names.empty()) names += ", ";
      names += fmt::format("{} {:.2f}", name, per(t.calls));
      if (per(t.errors) >= 0.01) names += fmt::format(" ({:.2f})", per(t.errors));
    }
    out +=
        fmt::format("  {:<16} {:>9} {:>9.2f}  {}\n", c.target, c.requests, c.per_request(), names);
  }
  return out;
}

namespace detail {
namespace {

/// The loop's system calls per request may exceed the bare epoll server's by this much.
constexpr double syscall_ratio_target = 1.10;
/// A process pool reads its workers' replies when they are there: reads that find nothing
/// (EAGAIN), per request, stay under this.
constexpr double failed_reads_target = 0.02;

/// Of the calls that read a socket, the failed ones, per request.
double failed_reads_per_request(const syscall_cell& cell) {
  std::uint64_t failed = 0;
  for (const char* name : {"read", "readv", "recvfrom", "recvmsg"}) {
    const auto it = cell.calls.find(name);
    if (it != cell.calls.end()) failed += it->second.errors;
  }
  return static_cast<double>(failed) / static_cast<double>(cell.requests);
}

/// One target row: the cell's figure against `limit` (at most, or under when `strict`), or why
/// the cell has no figure.
template <class Figure>
target_check cell_target(std::string name, double limit, bool strict, int decimals,
                         const syscall_cell& cell, Figure figure) {
  target_check t{std::move(name), fmt::format("{} {:.2f}", strict ? "<" : "<=", limit), "", false};
  if (cell.error.empty() && cell.requests > 0) {
    const double r = figure(cell);
    t.measured = fmt::format("{:.{}f}", r, decimals);
    t.met = strict ? r < limit : r <= limit;
  } else {
    t.measured = cell.error.empty() ? "failed: no requests" : "failed: " + cell.error;
  }
  return t;
}

}  // namespace

void syscall_targets(const bench_results& results, std::vector<target_check>& out) {
  if (!results.syscalls.empty() && results.syscalls.front().target == "baseline" &&
      results.syscalls.front().error.empty()) {
    const double base = results.syscalls.front().per_request();
    for (const auto& cell : results.syscalls) {
      if (base_executor(cell.target) != "inline" || base <= 0) continue;
      out.push_back(cell_target(fmt::format("system calls per request, {} / baseline", cell.target),
                                syscall_ratio_target, false, 2, cell,
                                [base](const syscall_cell& c) { return c.per_request() / base; }));
    }
  }
  for (const auto& cell : results.syscalls) {
    if (base_executor(cell.target) != "processes") continue;
    out.push_back(cell_target(fmt::format("failed reads per request, {}", cell.target),
                              failed_reads_target, true, 3, cell, failed_reads_per_request));
  }
}

}  // namespace detail
}  // namespace primeloop::bench
