// The targets half of bench_report.hpp: what each figure should be, and whether it is.
#include "benchmarks/bench/bench_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "benchmarks/bench/bench_report_detail.hpp"
#include "clients/report.hpp"

namespace primeloop::bench {
namespace {

using std::chrono::nanoseconds;
using namespace detail;

/// The targets for a column's throughput, as a ratio of the baseline: the pools pay a hand-off
/// per request unless cheap work stays on the loop ('+adaptive'), which should then be as cheap
/// as inline's.
double throughput_target(const std::string& column) {
  const auto executor = base_executor(column);
  if (executor == "inline") return 0.95;
  if (column.find("+adaptive") != std::string::npos) return 0.9;
  return executor == "threads" ? 0.7 : 0.6;
}
/// A fresh request behind another connection's backlog: the pools take turns between
/// connections, so it waits about one computation per busy worker; inline for the computation
/// already running, then its turn.
constexpr nanoseconds fresh_wait_target = std::chrono::seconds{2};
constexpr nanoseconds inline_fresh_slack = std::chrono::seconds{1};
/// The loop's system calls per request may exceed the bare epoll server's by this much.
constexpr double syscall_ratio_target = 1.10;
constexpr double retention_target = 0.8;
constexpr nanoseconds p99_target = std::chrono::milliseconds{2};
constexpr double rss_target_mib = 64;
constexpr double sieve_target = 1.5;
/// The fast workload is libprimecount's own call: only the server around it should cost more.
constexpr double fast_target = 1.2;

/// A race's target (phase "sieve" or "fast"): the server's CPU time over the reference
/// command's on one thread.
target_check race_target(const race& r, std::string_view phase, std::string_view reference,
                         double target) {
  target_check t{fmt::format("{} n={}: server CPU time / {} -t1", phase, r.n, reference),
                 fmt::format("<= {:.1f}", target), "", false};
  if (!r.error.empty()) {
    t.measured = "failed: " + r.error;
  } else if (!r.skipped.empty()) {
    t.measured = "skipped: " + r.skipped;
    t.met = std::nullopt;
  } else if (const auto ratio = r.cpu_ratio()) {
    t.measured = fmt::format("{:.2f}", *ratio);
    t.met = *ratio <= target;
  } else {
    t.measured = "failed: no CPU time";
  }
  return t;
}

}  // namespace

std::vector<target_check> check_targets(const bench_results& results, const bench_config& config) {
  std::vector<target_check> out;
  for (const auto& column : config.executors) {
    const double target = throughput_target(column);
    for (const unsigned connections : config.connection_counts) {
      if (connections == 1) continue;  // wake-up bound: no target
      auto it = std::find_if(results.cells.begin(), results.cells.end(), [&](const bench_cell& c) {
        return c.target == column && c.connections == connections;
      });
      if (it == results.cells.end()) continue;
      target_check t{fmt::format("throughput {} / baseline, {} connections", column, connections),
                     fmt::format(">= {:.2f}", target), "", false};
      if (const auto r = ratio(results.cells, *it)) {
        t.measured = fmt::format("{:.3f}", *r);
        t.met = *r >= target;
      } else {
        t.measured = it->error.empty() ? "failed: no baseline" : "failed: " + it->error;
      }
      out.push_back(std::move(t));
    }
  }
  for (const auto& row : results.long_runs) {
    const auto executor = base_executor(row.executor);
    const bool failed = row.failed;
    target_check retention{fmt::format("retention {} during a long request", row.executor),
                           fmt::format(">= {:.2f}", retention_target),
                           row.retention ? fmt::format("{:.2f}", *row.retention) : "failed",
                           std::nullopt};
    if (executor == "inline") {
      retention.target = "none: 0 by design";
    } else {
      retention.met = !failed && row.retention && *row.retention >= retention_target;
    }
    out.push_back(std::move(retention));
    if (executor == "inline") continue;
    out.push_back(
        {fmt::format("p99 latency {} during a long request", row.executor),
         "<= " + clients::human_duration(p99_target),
         clients::human_latency(row.p99, row.p99_lower_bound),
         !failed && row.during_answered > 0 && !row.p99_lower_bound && row.p99 <= p99_target});
  }
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
  if (!results.syscalls.empty() && results.syscalls.front().target == "baseline" &&
      results.syscalls.front().error.empty()) {
    const double base = results.syscalls.front().per_request();
    for (const auto& cell : results.syscalls) {
      if (base_executor(cell.target) != "inline" || base <= 0) continue;
      target_check t{fmt::format("system calls per request, {} / baseline", cell.target),
                     fmt::format("<= {:.2f}", syscall_ratio_target), "", false};
      if (cell.error.empty() && cell.requests > 0) {
        const double r = cell.per_request() / base;
        t.measured = fmt::format("{:.2f}", r);
        t.met = r <= syscall_ratio_target;
      } else {
        t.measured = cell.error.empty() ? "failed: no requests" : "failed: " + cell.error;
      }
      out.push_back(std::move(t));
    }
  }
  for (const auto& cell : results.idle) {
    target_check t{
        fmt::format("server RSS {} with {} idle connections", cell.target, cell.requested),
        fmt::format("<= {:.0f} MiB", rss_target_mib), "", false};
    if (cell.error.empty()) {
      t.measured = fmt::format("{:.1f} MiB", mib(cell.rss_kib));
      t.met = mib(cell.rss_kib) <= rss_target_mib;
    } else {
      t.measured = "failed: " + cell.error;
    }
    out.push_back(std::move(t));
  }
  if (results.sieve)
    out.push_back(race_target(*results.sieve, "sieve", "primesieve", sieve_target));
  // The fast target is for the first n (10^12 by default: a quarter of a second of CPU, so the
  // server's own costs around the call are small beside it); the others are shown.
  if (!results.fast.empty()) {
    out.push_back(race_target(results.fast.front(), "fast", "primecount", fast_target));
  }
  return out;
}

const target_check* find_target(const std::vector<target_check>& checks, std::string_view figure) {
  for (const auto& c : checks) {
    if (c.figure == figure) return &c;
  }
  return nullptr;
}

std::string format_targets(const std::vector<target_check>& checks) {
  std::size_t width = 6;
  for (const auto& c : checks) width = std::max(width, c.figure.size());
  std::string out =
      fmt::format("targets\n{:<{}}  {:<18} {:<14} {}\n", "figure", width, "target", "measured", "");
  for (const auto& c : checks) {
    out += fmt::format("{:<{}}  {:<18} {:<14} {}\n", c.figure, width, c.target, c.measured,
                       !c.met   ? "-"
                       : *c.met ? "met"
                                : "NOT MET");
  }
  return out;
}

std::string targets_csv(const std::vector<target_check>& checks) {
  std::string out = "figure,target,measured,met\n";
  for (const auto& c : checks) {
    out += fmt::format("{},{},{},{}\n", csv_field(c.figure), csv_field(c.target),
                       csv_field(c.measured),
                       !c.met   ? ""
                       : *c.met ? "yes"
                                : "no");
  }
  return out;
}

}  // namespace primeloop::bench
