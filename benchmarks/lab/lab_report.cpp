#include "benchmarks/lab/lab_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <stdexcept>

#include "benchmarks/harness/lab_support.hpp"
#include "benchmarks/harness/wrap_words.hpp"
#include "benchmarks/lab/lab_checks.hpp"
#include "benchmarks/lab/lab_repeat.hpp"
#include "benchmarks/lab/story_words.hpp"
#include "benchmarks/lab/svg_chart.hpp"
#include "clients/report.hpp"
#include "core/report_format.hpp"

namespace primeloop::lab {
namespace {

/// The short name the writers below use.
constexpr auto write_file = &harness::write_text_file;
using harness::wrap_words;

/// Which of p50, p99 and max are lower bounds, as "p99+max" (empty: none).
std::string lower_bounds(const executor_summary& r) {
  std::string out;
  for (const auto& [flag, name] :
       {std::pair{r.p50_lower_bound, "p50"}, std::pair{r.p99_lower_bound, "p99"},
        std::pair{r.max_lower_bound, "max"}}) {
    if (!flag) continue;
    if (!out.empty()) out += '+';
    out += name;
  }
  return out;
}

}  // namespace

std::string describe_scenario(const lab_config& c) {
  return fmt::format("{} connections x {} asking n={}; long request {} n={} {}; {} s a column",
                     c.connections,
                     c.rate > 0 ? fmt::format("open loop at {:.0f} req/s", c.rate)
                                : fmt::format("depth {}", c.depth),
                     c.n, c.workload, c.long_n,
                     c.after_s > 0 ? fmt::format("at {}-{} s", c.before_s, c.during_end_s())
                                   : fmt::format("after {} s", c.before_s),
                     c.total_s());
}

live_table::live_table(const lab_config& config, std::FILE* out)
    : config_(config), out_(out), values_(config.executors.size()) {
  std::size_t total = 6 + marker().size();  // the wide marker: numbered_ is still false
  for (const auto& e : config.executors) {
    widths_.push_back(std::max<std::size_t>(10, e.size() + 2));
    total += widths_.back();
  }
  // Too wide for a 100-column terminal (the story, a sweep): numbered columns and a legend.
  if (total > max_width) {
    numbered_ = true;
    for (auto& w : widths_) w = 8;
  }
}

std::string live_table::marker() const {
  if (numbered_) return fmt::format("  <- long n={}", config_.long_n);
  return fmt::format("   <- long request n={} starts", config_.long_n);
}

std::string live_table::header() const {
  std::string h = "  t(s)";
  for (std::size_t i = 0; i < widths_.size(); ++i) {
    h += fmt::format("{:>{}}", numbered_ ? fmt::format("c{}", i + 1) : config_.executors[i],
                     widths_[i]);
  }
  if (!numbered_) return h + "   (requests answered in each second)\n";
  h += "   (answered each second)\n";
  // The legend, "c1 = blocking, c2 = ...", wrapped to the width.
  std::string legend, line;
  for (std::size_t i = 0; i < widths_.size(); ++i) {
    auto item = fmt::format("c{} = {}", i + 1, config_.executors[i]);
    if (i + 1 < widths_.size()) item += ',';
    if (!line.empty() && line.size() + 1 + item.size() > max_width) {
      legend += line + '\n';
      line.clear();
    }
    line += (line.empty() ? "  " : " ") + item;
  }
  return legend + line + '\n' + h;
}

void live_table::round_started(unsigned round, unsigned rounds) {
  if (rounds == 1) return;
  // Each round's rows put its own columns side by side: the last round's seconds go.
  for (auto& v : values_) v.clear();
  fmt::print(out_, "\nround {} of {}\n", round, rounds);
  std::fflush(out_);
}

void live_table::started(std::size_t index, const std::string& listening_line) {
  fmt::print(
      out_, "\n{}\n{}",
      wrap_words(fmt::format("[{}] {}", config_.executors[index], listening_line), max_width),
      header());
  std::fflush(out_);
}

void live_table::second(std::size_t index, const clients::second_sample& sample) {
  auto& mine = values_[index];
  if (mine.size() < sample.second) mine.resize(sample.second);
  mine[sample.second - 1] = sample.completed;
  std::string row = fmt::format("{:>6}", sample.second);
  for (std::size_t i = 0; i < values_.size(); ++i) {
    const auto& v = values_[i];
    const bool known = sample.second <= v.size() && v[sample.second - 1].has_value();
    row += fmt::format("{:>{}}", known ? std::to_string(*v[sample.second - 1]) : ".", widths_[i]);
  }
  if (sample.second == config_.before_s + 1) {
    row += marker();
  } else if (config_.after_s > 0 && sample.second == config_.during_end_s() + 1) {
    row += numbered_ ? "  <- long closed" : "   <- long request's connection closed";
  } else if (sample.long_completed > 0) {
    row += fmt::format("   (long request answered x{})", sample.long_completed);
  }
  fmt::print(out_, "{}\n", row);
  std::fflush(out_);
}

void live_table::finished(std::size_t index, const executor_run& run) {
  if (const auto failure = run_failure(run); !failure.empty()) {
    fmt::print(
        out_, "\n{}\n",
        wrap_words(fmt::format("[{}] FAILED, its figures are not valid: {}", run.executor, failure),
                   max_width));
  }
  fmt::print(out_, "[{}] server stopped: {}\n", config_.executors[index], run.stopped.describe());
  std::fflush(out_);
}

std::string describe_phases(const lab_config& config) {
  const auto after =
      config.after_s == 0
          ? std::string()
          : fmt::format(", after = seconds {}-{}",
                        config.during_end_s() + (config.after_s >= 2 ? 2 : 1), config.total_s());
  return fmt::format(
      "  before = mean of seconds {}-{}, during = seconds {}-{}{};\n  latency of small requests "
      "answered during the long request\n  {}\n",
      config.before_s >= 2 ? 2 : 1, config.before_s, config.before_s + 1, config.during_end_s(),
      after, describe_before_load(config.standin));
}

std::string summary_legend() {
  return "  before/s, during/s, after/s = small requests answered per second; kept = during /\n"
         "  mean(before, after), the share of the small-request rate the server kept while the "
         "long\n"
         "  request ran (the mean cancels drift of the machine); '(after)': the server cannot stop "
         "a\n"
         "  computation whose client left, so kept = during / before;\n"
         "  '>=' = small requests still unanswered at the end: their wait so far is a lower "
         "bound\n";
}

std::string format_summary_table(const std::vector<executor_summary>& rows,
                                 const lab_config& config) {
  std::string out =
      fmt::format("summary:\n  {}\n{}", describe_scenario(config), describe_phases(config));
  // Wide enough for column names such as "thread-per-conn+gil5ms"; with those, 92 columns.
  std::size_t name_width = 10;
  for (const auto& r : rows) name_width = std::max(name_width, r.executor.size());
  out += fmt::format("{:<{}} {:>9} {:>9} {:>8} {:>7} {:>11} {:>11} {:>11} {:>4}\n", "executor",
                     name_width, "before/s", "during/s", "after/s", "kept", "p50", "p99", "max",
                     "long");
  for (const auto& r : rows) {
    if (r.failed) {
      out += fmt::format("{:<{}} FAILED: no valid figures (why: below)\n", r.executor, name_width);
      continue;
    }
    const bool any = r.during_answered > 0 || r.unfinished > 0;
    const auto shown = [&](std::chrono::nanoseconds d, bool lower_bound) {
      return clients::human_latency(d, lower_bound, any);
    };
    out += fmt::format("{:<{}} {:>9.0f} {:>9.0f} {:>8} {:>7} {:>11} {:>11} {:>11} {:>4}\n",
                       r.executor, name_width, r.before_rps, r.during_rps,
                       r.after_first == 0 ? "-"
                       : r.after_counts   ? fmt::format("{:.0f}", r.after_rps)
                                          : fmt::format("({:.0f})", r.after_rps),
                       r.retention ? fmt::format("{:.1f}%", *r.retention * 100) : "-",
                       shown(r.p50, r.p50_lower_bound), shown(r.p99, r.p99_lower_bound),
                       shown(r.max, r.max_lower_bound), r.long_completed);
  }
  out += summary_legend();
  out += describe_long_column(rows, config);
  out += format_lag_verdicts(rows, name_width);
  // How each server ended, one line each (it can be long: a failure says why).
  for (const auto& r : rows) {
    out += wrap_words(fmt::format("  [{}] server {}", r.executor, r.server_end), 100) + "\n";
  }
  return out;
}

std::string lag_verdict(const std::optional<std::chrono::nanoseconds>& lag) {
  if (!lag) return "the server's stats report no loop lag";
  const auto shown = clients::human_duration(*lag);
  if (*lag >= std::chrono::seconds{1}) {
    return fmt::format("the loop stood still for {}: every client waited", shown);
  }
  if (*lag >= std::chrono::milliseconds{10}) {
    return fmt::format("the loop ran up to {} late: every client felt it", shown);
  }
  return fmt::format("the loop kept up ({} late at worst): clients were served", shown);
}

std::string format_lag_verdicts(const std::vector<executor_summary>& rows, std::size_t name_width) {
  std::string out =
      "  loop lag: how late the server's event loop ran, worst during the long request\n";
  for (const auto& r : rows) {
    if (r.failed) continue;
    out += fmt::format("  {:<{}} {:>9}  {}\n", r.executor, name_width,
                       r.worst_lag ? clients::human_duration(*r.worst_lag) : "-",
                       lag_verdict(r.worst_lag));
  }
  return out;
}

std::string describe_long_column(const std::vector<executor_summary>& rows,
                                 const lab_config& config) {
  const bool none = std::all_of(rows.begin(), rows.end(), [](const executor_summary& r) {
    return r.failed || r.long_completed == 0;
  });
  if (!none) return "  long = long requests answered in the run\n";
  return fmt::format(
      "  long = long requests answered: 0 is expected when n={} takes longer than the {} s\n"
      "  measured after it starts; the lab then stops it with the server\n",
      config.long_n, config.during_s);
}

std::string format_story_table(const std::vector<executor_summary>& rows,
                               const lab_config& config) {
  std::string out = fmt::format(
      "the lesson, stage by stage ({} small-request connections;\n'served' = connections that "
      "got any answer;\n'shows' = what this run measured, 'lesson:' = what the original found)\n"
      "{:<13} {:<22} {:>7} {:>7} {:>6}  {}\n",
      config.connections, "stage", "column", "during", "kept", "served", "shows");
  for (const auto& r : rows) {
    const auto* stage = find_stage(r.executor);
    out += fmt::format("{:<13} {:<22} {:>7.0f} {:>7} {:>6}  {}\n", stage ? stage->stage : "-",
                       r.executor, r.during_rps,
                       r.retention ? fmt::format("{:.1f}%", *r.retention * 100) : "-",
                       fmt::format("{}/{}", r.connections_answered, config.connections),
                       measured_words(r, rows, config.connections));
    if (stage) out += fmt::format("{:<14}lesson: {}\n", "", stage->teaches);
  }
  out +=
      "  during = small requests answered per second while the long one runs; kept as in the "
      "summary\n";
  return out;
}

std::string series_csv(const std::vector<executor_run>& runs) {
  std::string out =
      "executor,second,requests,errors,p50_us,p99_us,max_us,long_active,long_completed,round\n";
  for (const auto& run : runs) {
    for (const auto& s : run.load.seconds) {
      out += fmt::format("{},{},{},{},{:.1f},{:.1f},{:.1f},{},{},{}\n", run.executor, s.second,
                         s.completed, s.errors, us(s.p50), us(s.p99), us(s.max),
                         s.long_active ? 1 : 0, s.long_completed, run.round);
    }
  }
  return out;
}

std::string summary_csv(const std::vector<executor_summary>& rows, const lab_config& c) {
  std::string out =
      "executor,connections,depth,n,long_n,workload,workers,before_s,during_s,before_rps,"
      "during_rps,retention,during_answered,p50_us,p99_us,max_us,lower_bounds,unfinished,"
      "oldest_unfinished_us,long_completed,server_end,after_s,after_rps,after_counts,before_load,"
      "round\n";
  for (const auto& r : rows) {
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{:.1f},{:.1f},{},{},{:.1f},{:.1f},{:.1f},{},{},"
        "{:.1f},{},{},{},{:.1f},{},{},{}\n",
        r.executor, c.connections, c.depth, c.n, c.long_n, c.workload,
        c.workers ? std::to_string(*c.workers) : "default", c.before_s, c.during_s, r.before_rps,
        r.during_rps, r.retention ? fmt::format("{:.4f}", *r.retention) : "", r.during_answered,
        us(r.p50), us(r.p99), us(r.max), lower_bounds(r), r.unfinished, us(r.oldest_unfinished),
        r.long_completed, csv_field(r.server_end), c.after_s, r.after_rps, r.after_counts ? 1 : 0,
        before_load_name(c.standin), r.round);
  }
  return out;
}

std::string lab_svg(const std::vector<executor_run>& runs, const lab_config& config) {
  chart c;
  c.title = fmt::format("primeloop lab: small requests answered per second, {} connections",
                        config.connections);
  c.subtitle = describe_scenario(config);
  for (const auto& run : runs) {
    chart_series s{run.executor, {}};
    for (const auto& sample : run.load.seconds) {
      s.values.push_back(static_cast<double>(sample.completed));
      // A second with neither an answer nor a stuck request has no latency: a gap.
      s.latency_s.push_back(sample.has_latency() ? std::chrono::duration<double>(sample.p99).count()
                                                 : 0.0);
      s.served.push_back(sample.connections_answered);
    }
    const auto r = summarize(run, config);
    // The blocking server's lesson is who got served, not the rate: its legend says it, and
    // the served panel shows it second by second.
    if (run.executor == "blocking") {
      c.connections = config.connections;
      s.name = fmt::format("blocking: served {}/{}", r.connections_answered, config.connections);
    }
    s.note = fmt::format("{:.0f} / {:.0f} / {} req/s, kept {}{}", r.before_rps, r.during_rps,
                         r.after_first == 0 ? "-" : fmt::format("{:.0f}", r.after_rps),
                         r.retention ? fmt::format("{:.0f}%", *r.retention * 100) : "-",
                         config.repeat > 1 ? fmt::format(", round {}", run.round) : "");
    c.series.push_back(std::move(s));
  }
  c.marker_x = config.before_s;
  c.marker_label = fmt::format("long request n={} starts", config.long_n);
  if (config.after_s > 0) {
    c.end_marker_x = config.during_end_s();
    c.end_marker_label = "its connection closed";
  }
  // Small rates matter in the lesson (the lock at 5 ms against 2 ms): a log axis keeps them apart.
  c.log_y = true;
  c.y_label = "requests per second (log scale)";
  c.latency_label = "p99 of each second (log scale)";
  c.footer = fmt::format("made by: {}; legend: before / during / after{}", config.command,
                         config.repeat > 1 ? fmt::format(" of each column's median round by kept "
                                                         "(of {})",
                                                         config.repeat)
                                           : "");
  return render_svg(c);
}

lab_files write_lab_results(const std::vector<executor_run>& runs,
                            const std::vector<executor_summary>& rows, const lab_config& config) {
  std::filesystem::create_directories(config.out_dir);
  lab_files files{config.out_dir / "lab-series.csv", config.out_dir / "lab-summary.csv",
                  config.out_dir / "lab-chart.svg", config.out_dir / "run.txt"};
  write_file(files.series_csv, series_csv(runs));
  write_file(files.summary_csv, summary_csv(rows, config));
  const auto columns = config.executors.size();
  const auto by_column = rounds_by_column(rows, columns);
  if (config.repeat > 1 && runs.size() == rows.size()) {
    // One line a column: its median round by kept.
    std::vector<executor_run> drawn;
    for (const auto i : median_runs(rows, columns)) drawn.push_back(runs.at(i));
    write_file(files.chart_svg, lab_svg(drawn, config));
    files.repeat_csv = config.out_dir / "lab-repeat.csv";
    write_file(files.repeat_csv, repeat_csv(by_column));
  } else {
    write_file(files.chart_svg, lab_svg(runs, config));
  }
  // Other processes on the machine change every figure: the load average says if there were.
  const auto machine = harness::read_machine();
  std::string run_txt = fmt::format(
      "command: {}\nscenario: {}\nbuild: {}\nmachine: {}; load average after the run: {}\n",
      config.command, describe_scenario(config), harness::describe_build(),
      harness::describe_cpus(machine), machine.loadavg);
  for (const auto& r : runs) {
    run_txt +=
        fmt::format("{}{}: {}\n", r.executor,
                    config.repeat > 1 ? fmt::format(" round {}", r.round) : "", r.listening_line);
  }
  run_txt += '\n';
  if (config.repeat == 1) {
    run_txt += format_summary_table(rows, config);
  } else {
    // The medians and ranges first, then every round's own summary: the draws they come from.
    run_txt += format_repeat_table(by_column, config);
    for (unsigned round = 1; round <= config.repeat; ++round) {
      std::vector<executor_summary> these;
      for (const auto& r : rows) {
        if (r.round == round) these.push_back(r);
      }
      run_txt += fmt::format("\nround {} of {}: ", round, config.repeat);
      run_txt += format_summary_table(these, config);
    }
  }
  write_file(files.run_txt, run_txt);
  return files;
}

}  // namespace primeloop::lab
