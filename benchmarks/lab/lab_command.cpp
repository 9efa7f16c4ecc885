#include "benchmarks/lab/lab_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "benchmarks/harness/lab_support.hpp"
#include "benchmarks/harness/run_flags.hpp"
#include "benchmarks/harness/wrap_words.hpp"
#include "benchmarks/lab/lab.hpp"
#include "benchmarks/lab/lab_checks.hpp"
#include "benchmarks/lab/lab_partial.hpp"
#include "benchmarks/lab/lab_repeat.hpp"
#include "benchmarks/lab/lab_report.hpp"
#include "benchmarks/lab/live_screen.hpp"
#include "benchmarks/lab/open_loop_table.hpp"
#include "cli/cli.hpp"
#include "cli/validators.hpp"
#include "core/executor_kind.hpp"
#include "core/workloads.hpp"

namespace primeloop::lab {
namespace {

void append_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::app);
  f << text;
  f.close();
  if (!f) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

}  // namespace

std::optional<lab_config> parse_lab_flags(int argc, char** argv, int& exit_code) {
  CLI::App app{
      "primeloop-lab: small-request load plus one long request, for each executor.\nWords of its "
      "output (stand-in, kept, depth, ...): docs/lessons.md, \"Words of the lab\""};
  cli::setup(app, "primeloop-lab");
  lab_config config;
  std::string out_dir = config.out_dir.string(), server;
  const CLI::Validator column_check([](std::string& name) { return column_error(name); }, "COLUMN");
  auto* executors_option =
      app.add_option(cli::flag("--executors"), config.executors,
                     fmt::format("Columns to run, in order: {}, blocking, thread-per-conn; "
                                 "'+gil5ms' adds --gil with that switch interval (us, ms or s), "
                                 "'+nice19' adds --worker-nice 19 (server executors), '+adaptive' "
                                 "keeps cheap work on the loop (threads, processes)",
                                 fmt::join(names_of(executor_names), ", ")))
          ->delimiter(',')
          ->check(column_check)
          ->default_str(fmt::format("{}", fmt::join(config.executors, ",")));
  bool gil_sweep = false;
  app.add_flag("--gil-sweep", gil_sweep,
               "Run threads without the interpreter lock and with it at 5 ms, 2 ms and 1 s, and "
               "processes with and without it (docs/gil.md)")
      ->excludes(executors_option);
  app.add_flag("--story", config.story,
               "Run the lesson in order: the blocking server, thread per connection without and "
               "with the lock at 5 ms, 2 ms and 1 s, then inline, threads and processes; ends "
               "with one table of the stages")
      ->excludes(executors_option)
      ->excludes("--gil-sweep");
  app.add_option("--repeat", config.repeat,
                 "Run every column this many times, in rounds (each round runs every column once, "
                 "in order), so that drift of the machine hits every column alike; the summary "
                 "shows each figure's median over the rounds and its range (lowest-highest), "
                 "lab-repeat.csv holds them, run.txt also each round's summary, and the chart "
                 "draws each column's median round by kept")
      ->default_val(config.repeat)
      ->check(cli::range(1, 100));
  bool no_standin = false;
  harness::add_long_request_flags(app, config.before_s, config.during_s, no_standin);
  harness::add_after_flag(app, config.after_s);
  app.add_option("--n", config.n, "The small request")
      ->default_val(config.n)
      ->check(cli::range_u64(1, largest_n(workload::fast)));
  app.add_option("--long-n", config.long_n, "The long request")
      ->default_val(config.long_n)
      ->check(cli::range_u64(1, largest_n(workload::fast)));
  app.add_option(cli::flag("--connections"), config.connections, "Small-request connections")
      ->default_val(config.connections)
      ->check(cli::range(1, 10'000));
  app.add_option("--depth", config.depth, "Pipelining depth per connection")
      ->default_val(config.depth)
      ->check(cli::range(1, 4096));
  harness::add_server_flags(app, config.workers, server, config.server_flags);
  app.add_option("--workload", config.workload, "Server --workload")
      ->default_val(config.workload)
      ->check(cli::one_of(names_of(workload_names), "workload"));
  double slo_ms = 10;
  app.add_option("--rate", config.rate,
                 "Open loop: the small requests at this many a second in total, each sent at its "
                 "due time and timed from it; adds a table of the tail during the long request")
      ->check(cli::decimal(0.001, 10'000'000, "requests a second"));
  app.add_option("--slo", slo_ms,
                 "With --rate: the share of small requests during the long one slower than this "
                 "many milliseconds")
      ->default_val(slo_ms)
      ->check(cli::decimal(0.001, 3'600'000, "milliseconds"));
  double stop_grace_s = 3;
  app.add_option("--stop-grace", stop_grace_s, "Seconds from SIGTERM to SIGKILL of each server")
      ->default_val(stop_grace_s)
      ->check(cli::seconds(0, 3600));
  auto* out_option =
      app.add_option(cli::flag("--out"), out_dir,
                     "Directory for CSV, SVG and server logs (without it: lab-results, or a new "
                     "lab-results-<time> when that one holds earlier results)")
          ->default_val(out_dir);
  if (const auto status = cli::parse(app, argc, argv)) {
    exit_code = *status;
    return std::nullopt;
  }
  config.standin = !no_standin;
  if (gil_sweep) config.executors = gil_sweep_columns();
  if (config.story) {
    config.executors.clear();
    for (const auto& stage : lesson_stages()) config.executors.emplace_back(stage.column);
  }
  config.out_dir = std::filesystem::absolute(out_dir);
  // Earlier results are kept: without --out, a run never writes over them.
  if (out_option->count() == 0) config.out_dir = fresh_out_dir(config.out_dir);
  config.slo = cli::microseconds_of(slo_ms / 1000);
  config.stop_grace = cli::milliseconds_of(stop_grace_s);
  config.command = harness::quote_command_without_out(argc, argv);
  if (!harness::succeeded(
          "primeloop-lab",
          [&] { config.server = harness::sibling_binary(server, "primeloop-server"); },
          exit_code)) {
    return std::nullopt;
  }
  return config;
}

int run_lab_command(const lab_config& config) {
  const auto machine = harness::read_machine();
  auto noisy = noisy_machine_warning(first_load_average(machine.loadavg), machine.cpus);
  if (!noisy.empty() && config.repeat == 1) {
    noisy += "  --repeat 3 runs every column three times and shows how far the figures spread\n";
  }
  const auto header = harness::wrap_lines(
      fmt::format(
          "primeloop lab\n  {}\n  (depth = requests each connection keeps in flight; words: "
          "docs/lessons.md)\n{}server: {}\n{}{}\n{}this run's files go to {}/\n",
          describe_scenario(config), describe_rounds(config), config.server.string(),
          harness::describe_build_and_machine(), describe_before_load(config.standin), noisy,
          config.out_dir.string()),
      100);
  // On a terminal one table redrawn in place; on a pipe or a file plain lines.
  live_table lines(config, stdout);
  live_screen screen(config, stdout);
  lab_observer& table = is_terminal(stdout) ? static_cast<lab_observer&>(screen) : lines;
  // What was measured so far, for a Ctrl-C: the table prints, the record keeps.
  partial_record record(table);
  const auto report = [&](const std::vector<executor_run>& runs, double took_s) {
    std::vector<executor_summary> rows;
    for (const auto& r : runs) rows.push_back(summarize(r, config));
    // With --repeat the story and open-loop tables show each column's median round.
    auto shown_rows = rows;
    auto shown_runs = runs;
    if (config.repeat > 1) {
      fmt::print("\n{}",
                 format_repeat_table(rounds_by_column(rows, config.executors.size()), config));
      shown_rows.clear();
      shown_runs.clear();
      for (const auto i : median_runs(rows, config.executors.size())) {
        shown_rows.push_back(rows.at(i));
        shown_runs.push_back(runs.at(i));
      }
      if (config.story || config.rate > 0) {
        fmt::print("\nbelow: each column's median round by kept, of {}\n", config.repeat);
      }
    } else {
      fmt::print("\n{}", format_summary_table(rows, config));
    }
    if (config.story) fmt::print("\n{}", format_story_table(shown_rows, config));
    const auto open_loop = format_open_loop_table(shown_runs, config);
    if (!open_loop.empty()) fmt::print("\n{}", open_loop);
    fmt::print("the lab took {:.0f} s; load average now {}\n", took_s,
               harness::read_machine().loadavg);
    const auto files = write_lab_results(runs, rows, config);
    fmt::print(
        "\nwrote, in {}/:\n{}\n", config.out_dir.string(),
        harness::wrap_words(
            fmt::format("  {}, {}, {}{}, {} and the server logs server-*.log",
                        files.series_csv.filename().string(), files.summary_csv.filename().string(),
                        files.repeat_csv.empty() ? std::string()
                                                 : files.repeat_csv.filename().string() + ", ",
                        files.chart_svg.filename().string(), files.run_txt.filename().string()),
            100));
    // The open-loop table goes after the summary in run.txt too.
    if (!open_loop.empty()) append_file(files.run_txt, "\n" + open_loop);
    return report_failures(rows, stderr);
  };
  const int status = harness::run_command("primeloop-lab", header, run_lab(config, record), report);
  if (status == 130) fmt::print("\n{}", record.summary(config));
  return status;
}

}  // namespace primeloop::lab
