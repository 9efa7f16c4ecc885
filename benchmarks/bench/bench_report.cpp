// What the benchmark prints and writes, put together from each phase's tables, figures and
// targets (the phases' own files), and the targets table.
#include "benchmarks/bench/bench_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "benchmarks/bench/bench_phases.hpp"

namespace primeloop::bench {

using namespace detail;

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

std::string figures_csv(const bench_results& results) {
  std::string out = "phase,target,figure,value,unit\n";
  const auto add = [&](const char* phase, const std::string& target, const char* figure,
                       double value, const char* unit) {
    out += fmt::format("{},{},{},{},{}\n", phase, target, figure, value, unit);
  };
  long_figures(results, add);
  for (const auto& w : results.wrk) {
    if (w.error.empty()) add("wrk", w.target, "rps", w.rps, "req/s");
  }
  idle_figures(results, add);
  race_figures(results, add);
  return out;
}

std::vector<target_check> check_targets(const bench_results& results, const bench_config& config) {
  std::vector<target_check> out;
  throughput_targets(results, config, out);
  long_targets(results, out);
  fairness_targets(results, out);
  syscall_targets(results, out);
  idle_targets(results, out);
  race_targets(results, out);
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
