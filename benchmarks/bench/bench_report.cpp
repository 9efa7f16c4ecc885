#include "benchmarks/bench/bench_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "benchmarks/bench/bench_report_detail.hpp"
#include "clients/report.hpp"

namespace primeloop::bench {

namespace detail {

std::string base_executor(const std::string& column) {
  const auto spec = lab::parse_column(column);
  return spec ? spec->executor : column;
}

double mib(std::uint64_t kib) {
  return static_cast<double>(kib) / 1024;
}

const bench_cell* find(const std::vector<bench_cell>& cells, const std::string& target,
                       unsigned connections) {
  for (const auto& c : cells) {
    if (c.target == target && c.connections == connections && c.error.empty()) return &c;
  }
  return nullptr;
}

std::optional<double> ratio(const std::vector<bench_cell>& cells, const bench_cell& c) {
  const auto* base = find(cells, "baseline", c.connections);
  if (!base || base->rps <= 0 || !c.error.empty()) return std::nullopt;
  return c.rps / base->rps;
}

}  // namespace detail

namespace {

using std::chrono::nanoseconds;
using namespace detail;  // the helpers above, shared with bench_targets.cpp

std::vector<std::string> targets(const bench_config& config) {
  std::vector<std::string> t{"baseline"};
  t.insert(t.end(), config.executors.begin(), config.executors.end());
  return t;
}

std::string connections_label(unsigned connections) {
  // One ping-pong connection: each request waits for the client and the server to wake each
  // other up, so the figure measures the CPU's wake-up latency more than the server.
  return connections == 1 ? "1 (wake-up bound)" : std::to_string(connections);
}

/// A table of the throughput section after its corner: the target names, then a row per
/// connection count with `cell(c)` under each target (c null where that cell failed).
template <class Cell>
std::string by_connections(const std::vector<bench_cell>& cells, const bench_config& config,
                           const std::vector<std::string>& names, Cell cell) {
  std::string out;
  for (const auto& n : names) out += fmt::format("{:>20}", n);
  out += "\n";
  for (const unsigned connections : config.connection_counts) {
    out += fmt::format("{:>18}", connections_label(connections));
    for (const auto& n : names) out += fmt::format("{:>20}", cell(find(cells, n, connections)));
    out += "\n";
  }
  return out;
}

}  // namespace

std::string format_throughput(const std::vector<bench_cell>& cells, const bench_config& config) {
  const auto names = targets(config);
  std::string out = fmt::format(
      "throughput: small requests (n=1), depth {}, {} s per cell after {} ms warm-up, best of {} "
      "rounds; req/s and ratio of the baseline measured in this run\n{:>18}",
      config.depth, config.duration_s, config.warmup.count(), config.rounds, "connections");
  out += by_connections(cells, config, names, [&](const bench_cell* c) {
    if (!c) return std::string("failed");
    const auto r = ratio(cells, *c);
    return fmt::format("{:.0f} {}", c->rps, r ? fmt::format("{:.2f}", *r) : "-");
  });
  if (config.rounds > 1) {
    // Two cores shared with the load client: where the scheduler puts the client and the
    // server (one core or two) moves req/s by up to 2x from one round to the next.
    out += fmt::format("round-to-round spread (worst round / best round):\n{:>18}", "");
    out += by_connections(cells, config, names, [](const bench_cell* c) {
      return c && c->rps > 0 ? fmt::format("{:.2f}", c->worst_rps / c->rps) : std::string("-");
    });
  }
  // One connection, depth 1: every request is one round trip; the difference between an
  // executor's mean latency and inline's is what handing the work off and back costs.
  const unsigned one = config.connection_counts.empty() ? 1 : config.connection_counts.front();
  const auto* in = find(cells, "inline", one);
  out += fmt::format("offload round trip ({} connection{}, depth {}; mean latency per request):\n",
                     one, one == 1 ? "" : "s", config.depth);
  for (const auto& n : names) {
    const auto* c = find(cells, n, one);
    if (!c) continue;
    out += fmt::format("  {:<16} {:>9}", n, clients::human_duration(c->mean));
    if (in && n != "inline" && n != "baseline") {
      // The rounds' spread of throughput (worst against best) bounds how far a mean latency
      // moved between rounds; a difference inside that is noise, whatever its sign.
      const auto spread = [](const bench_cell& cell) {
        return cell.rps > 0 ? 1.0 - cell.worst_rps / cell.rps : 1.0;
      };
      const double diff = us(c->mean - in->mean);
      const double noise = us(c->mean) * spread(*c) + us(in->mean) * spread(*in);
      if (diff > noise) {
        out += fmt::format("   {:+.1f} us over inline", diff);
      } else {
        out += fmt::format("   within noise of inline ({:+.1f} us, rounds differ by {:.1f} us)",
                           diff, noise);
      }
    }
    out += "\n";
  }
  for (const auto& c : cells) {
    if (!c.error.empty()) {
      out += fmt::format("  {} at {} connections failed: {}\n", c.target, c.connections, c.error);
    }
  }
  return out;
}

std::string format_long_runs(const std::vector<lab::executor_summary>& rows,
                             const bench_config& bench) {
  const auto& config = bench.long_request;
  std::string out = fmt::format(
      "long request: naive n={} on one more connection after {} s, {} small-request connections "
      "x depth {}; before = seconds 2-{}, during = seconds {}-{}\n",
      config.long_n, config.before_s, config.connections, config.depth, config.before_s,
      config.before_s + 1, config.before_s + config.during_s);
  out += lab::describe_before_load(config.standin) + "\n";
  out += fmt::format("{:<16} {:>12} {:>12} {:>9} {:>12} {:>12} {:>12}  server\n", "column",
                     "before req/s", "during req/s", "retention", "p50 during", "p99 during",
                     "max during");
  for (const auto& r : rows) {
    out += fmt::format("{:<16} {:>12.0f} {:>12.0f} {:>9} {:>12} {:>12} {:>12}  {}\n", r.executor,
                       r.before_rps, r.during_rps,
                       r.retention ? fmt::format("{:.2f}", *r.retention) : "-",
                       clients::human_latency(r.p50, r.p50_lower_bound),
                       clients::human_latency(r.p99, r.p99_lower_bound),
                       clients::human_latency(r.max, r.max_lower_bound), r.server_end);
  }
  return out;
}

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
    const double per =
        c.opened == 0 ? 0
                      : static_cast<double>(c.rss_kib - std::min(c.rss_kib, c.rss_before_kib)) *
                            1024 / c.opened;
    out += fmt::format("{:<16} {:>8} {:>8.1f} MiB {:>8.1f} MiB {:>8.0f} bytes {:>8} {:>8.1f} MiB\n",
                       c.target, c.opened, mib(c.rss_before_kib), mib(c.rss_kib), per, c.server_fds,
                       mib(c.group_rss_kib));
  }
  return out;
}

std::string format_sieve(const race& r) {
  std::string out = fmt::format(
      "sieve: n={}, the server (--workload sieve --executor {}) answering one request against "
      "Debian's primesieve command; best of the rounds; CPU is user + system of every thread\n",
      r.n, r.executor);
  if (!r.error.empty()) return out + "  failed: " + r.error + "\n";
  const auto row = [&](const std::string& name, const std::optional<harness::timing>& t) {
    if (!t) return fmt::format("  {:<24} -\n", name);
    std::string line =
        fmt::format("  {:<24} {:>8.3f} s wall {:>8.3f} s CPU", name, secs(t->wall), secs(t->cpu));
    if (r.server && &t != &r.server && t->wall.count() > 0 && t->cpu.count() > 0) {
      line += fmt::format("   server/this: wall {:.2f}, CPU {:.2f}",
                          secs(r.server->wall) / secs(t->wall), secs(r.server->cpu) / secs(t->cpu));
    }
    return line + "\n";
  };
  out += row("server", r.server);
  if (!r.skipped.empty()) return out + "  primesieve: skipped: " + r.skipped + "\n";
  out += row("primesieve -t1", r.reference(0));
  out += row("primesieve (all threads)", r.reference(1));
  out += fmt::format("  answer {} (both agree)\n", r.answer);
  return out;
}

std::string format_fast(const std::vector<race>& races) {
  std::string out =
      "fast: the server (--workload fast --executor threads) answering one request against "
      "Debian's\nprimecount N --nth-prime -t1; best of the rounds; CPU is user + system (the "
      "server's whole\nprocess; primecount's from its rusage)\n";
  out += fmt::format("  {:>16} {:>12} {:>16} {:>12}  {}\n", "n", "server CPU", "primecount CPU",
                     "server/pc", "answer");
  for (const auto& r : races) {
    if (!r.error.empty()) {
      out += fmt::format("  {:>16} FAILED: {}\n", r.n, r.error);
      continue;
    }
    const auto cpu = [](const std::optional<harness::timing>& t) {
      return t ? fmt::format("{:.3f} s", secs(t->cpu)) : std::string("-");
    };
    const auto ratio = r.cpu_ratio();
    out += fmt::format("  {:>16} {:>12} {:>16} {:>12}  {}\n", r.n, cpu(r.server),
                       cpu(r.reference(0)), ratio ? fmt::format("{:.2f}", *ratio) : "-",
                       r.skipped.empty() ? r.answer + " (both agree)"
                                         : r.answer + " (primecount skipped: " + r.skipped + ")");
  }
  return out;
}

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

std::string format_bench(const bench_results& results, const bench_config& config) {
  std::string out = fmt::format("machine: {}\nload average before: {}\nload average after:  {}\n",
                                harness::describe_cpus(results.machine_before),
                                results.machine_before.loadavg, results.machine_after.loadavg);
  // Appending the newline and the section separately: '"\n" + std::string' trips GCC 12's
  // -Wrestrict false positive.
  const auto section = [&](const std::string& text) {
    out += '\n';
    out += text;
  };
  if (config.runs(bench_phase::throughput)) section(format_throughput(results.cells, config));
  if (config.runs(bench_phase::long_request)) section(format_long_runs(results.long_runs, config));
  if (!results.wrk.empty()) section(format_wrk(results.wrk, results.cells));
  if (!results.idle.empty()) section(format_idle(results.idle, config));
  if (!results.fairness.empty()) section(format_fairness(results.fairness, config));
  if (results.sieve) section(format_sieve(*results.sieve));
  if (!results.fast.empty()) section(format_fast(results.fast));
  if (!results.syscalls.empty()) section(format_syscalls(results.syscalls, syscall_config{}));
  section(format_targets(check_targets(results, config)));
  return out;
}

std::string bench_csv(const std::vector<bench_cell>& cells, const bench_config& config) {
  std::string out =
      "target,connections,depth,duration_s,rounds,best_round,rps,ratio_to_baseline,mean_us,p50_us,"
      "p99_us,worst_round_rps,error\n";
  for (const auto& c : cells) {
    const auto r = ratio(cells, c);
    out += fmt::format("{},{},{},{},{},{},{:.1f},{},{:.1f},{:.1f},{:.1f},{:.1f},{}\n", c.target,
                       c.connections, config.depth, config.duration_s, config.rounds, c.round,
                       c.rps, r ? fmt::format("{:.4f}", *r) : "", us(c.mean), us(c.p50), us(c.p99),
                       c.worst_rps, csv_field(c.error));
  }
  return out;
}

std::string figures_csv(const bench_results& results) {
  std::string out = "phase,target,figure,value,unit\n";
  const auto add = [&](const char* phase, const std::string& target, const char* figure,
                       double value, const char* unit) {
    out += fmt::format("{},{},{},{},{}\n", phase, target, figure, value, unit);
  };
  if (results.long_standin) {
    add("long", "all", "before_load_standin", *results.long_standin ? 1 : 0, "bool");
  }
  for (const auto& r : results.long_runs) {
    add("long", r.executor, "before_rps", r.before_rps, "req/s");
    add("long", r.executor, "during_rps", r.during_rps, "req/s");
    if (r.retention) add("long", r.executor, "retention", *r.retention, "ratio");
    add("long", r.executor, "p50_during", us(r.p50), r.p50_lower_bound ? "us_at_least" : "us");
    add("long", r.executor, "p99_during", us(r.p99), r.p99_lower_bound ? "us_at_least" : "us");
    add("long", r.executor, "max_during", us(r.max), r.max_lower_bound ? "us_at_least" : "us");
  }
  for (const auto& w : results.wrk) {
    if (w.error.empty()) add("wrk", w.target, "rps", w.rps, "req/s");
  }
  for (const auto& c : results.idle) {
    if (!c.error.empty()) continue;
    add("idle", c.target, "connections", c.opened, "count");
    add("idle", c.target, "rss_before", static_cast<double>(c.rss_before_kib), "KiB");
    add("idle", c.target, "rss", static_cast<double>(c.rss_kib), "KiB");
    add("idle", c.target, "group_rss", static_cast<double>(c.group_rss_kib), "KiB");
    add("idle", c.target, "fds", static_cast<double>(c.server_fds), "count");
  }
  if (results.sieve && results.sieve->error.empty()) {
    const auto& s = *results.sieve;
    const auto times = [&](const std::string& who, const std::optional<harness::timing>& t) {
      if (!t) return;
      add("sieve", who, "wall", secs(t->wall), "s");
      add("sieve", who, "cpu", secs(t->cpu), "s");
    };
    times("server-" + s.executor, s.server);
    times("primesieve-t1", s.reference(0));
    times("primesieve", s.reference(1));
  }
  for (const auto& r : results.fast) {
    if (!r.error.empty()) continue;
    const auto who = fmt::format("n={}", r.n);
    if (r.server) add("fast", "server-" + who, "cpu", secs(r.server->cpu), "s");
    if (const auto& pc = r.reference(0))
      add("fast", "primecount-t1-" + who, "cpu", secs(pc->cpu), "s");
  }
  return out;
}

}  // namespace primeloop::bench
