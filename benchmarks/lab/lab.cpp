#include "benchmarks/lab/lab.hpp"

#include <cctype>

#include "benchmarks/harness/busy_core.hpp"
#include "benchmarks/lab/lab_checks.hpp"
#include "cli/validators.hpp"
#include "core/offload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <optional>
#include <stdexcept>

namespace primeloop::lab {
namespace {

namespace net = asio;

double mean_rps(const clients::load_result& r, unsigned first, unsigned last) {
  if (first == 0 || last < first || r.seconds.size() < last) return 0;
  std::uint64_t sum = 0;
  for (unsigned s = first; s <= last; ++s) sum += r.seconds[s - 1].completed;
  return static_cast<double>(sum) / (last - first + 1);
}

net::awaitable<executor_run> run_one(const lab_config& config, std::size_t index, unsigned round,
                                     lab_observer& observer) {
  const auto& column = config.executors[index];
  // Each round's server keeps its own log.
  const auto log =
      config.out_dir / (config.repeat > 1 ? fmt::format("server-{}-round{}.log", column, round)
                                          : fmt::format("server-{}.log", column));
  harness::server_child server(co_await net::this_coro::executor, server_argv(config, column),
                               log.string());
  std::string error;
  try {
    co_await server.wait_listening(std::chrono::seconds{10});
  } catch (const std::exception& e) {
    error = e.what();
  }
  // A long request the server would refuse makes every column meaningless: stop the whole lab
  // before any load, saying which limit and which flag (the server child dies with the frame).
  if (error.empty()) {
    if (auto refusal = long_n_refusal(server.first_line(), config.long_n); !refusal.empty()) {
      throw std::runtime_error(refusal);
    }
    observer.started(index, server.first_line());
  }
  if (error.empty()) {
    auto run = co_await run_scenario(server, config, column,
                                     [&](const auto& s) { observer.second(index, s); });
    run.round = round;
    co_return run;
  }
  executor_run run;
  run.executor = column;
  run.round = round;
  run.error = std::move(error);
  run.stopped = co_await server.stop(config.stop_grace);
  co_return run;
}

}  // namespace

net::awaitable<executor_run> run_scenario(harness::server_child& server, const lab_config& config,
                                          std::string column, second_fn each_second) {
  executor_run run;
  run.executor = std::move(column);
  run.listening_line = server.first_line();
  std::optional<harness::busy_core> standin;
  try {
    if (config.standin) standin.emplace(long_computation_nice(server.argv()));
    clients::load_config load;
    load.port = server.port();
    load.connections = config.connections;
    load.depth = config.depth;
    load.n = config.n;
    load.duration_s = config.total_s();
    load.warmup = config.warmup;
    load.long_n = config.long_n;
    load.long_after = std::chrono::seconds{config.before_s};
    if (config.after_s > 0) load.long_until_s = config.during_end_s();
    // A server that cancels the abandoned computation frees its core: the stand-in takes it
    // again, so "after" runs with one busy core as "before" did.
    const bool standin_after =
        config.standin && config.after_s > 0 && cancels_abandoned(run.executor);
    load.rate = config.rate;
    load.slo = config.slo;
    run.load = co_await clients::run_load(load, [&](const clients::second_sample& s) {
      // The long request is sent at this second's end: the stand-in makes way for it.
      if (s.second == config.before_s && standin) standin->stop();
      if (s.second == config.before_s) server.reset_lag();  // the lag during the long request
      if (s.second == config.during_end_s() && standin_after) {
        standin.emplace(long_computation_nice(server.argv()));
      }
      if (each_second) each_second(s);
    });
  } catch (const std::exception& e) {
    run.error = e.what();
  }
  standin.reset();
  run.worst_lag = server.worst_lag();
  // Stopping also ends the long computation: the whole process group goes if SIGTERM is not
  // enough, so nothing of this column competes with the next one for the CPU.
  run.stopped = co_await server.stop(config.stop_grace);
  co_return run;
}

namespace {

/// "gil<number><unit>": the lock model with that switch interval, given to the server in s.
bool add_gil(std::string_view rest, std::vector<std::string>& flags) {
  double value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  const std::string_view unit(end, static_cast<std::size_t>(rest.data() + rest.size() - end));
  const double scale = unit == "us" ? 1e-6 : unit == "ms" ? 1e-3 : unit == "s" ? 1.0 : 0.0;
  if (ec != std::errc{} || end == rest.data() || scale == 0.0 || value <= 0) return false;
  flags.insert(flags.end(), {"--gil", "--switch-interval", fmt::format("{}", value * scale)});
  return true;
}

/// "nice<0..19>": the server's --worker-nice.
bool add_nice(std::string_view rest, std::vector<std::string>& flags) {
  int value = -1;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc{} || end != rest.data() + rest.size() || value < 0 || value > 19) {
    return false;
  }
  flags.insert(flags.end(), {"--worker-nice", std::to_string(value)});
  return true;
}

}  // namespace

/// The servers a column's first word can name: the event loop's executors and the reference
/// servers of the lesson's first two stages.
struct column_server {
  std::string_view name;
  std::string_view program;
  bool gil, nice, adaptive;  ///< which variants mean something to it
  bool cancels;              ///< it cancels a computation whose client left
};
constexpr std::array<column_server, 5> column_servers{{
    {"inline", "primeloop-server", true, true, false, false},
    {"threads", "primeloop-server", true, true, true, true},
    {"processes", "primeloop-server", true, true, true, true},
    {"blocking", "primeloop-blocking", false, false, false, false},
    {"thread-per-conn", "primeloop-threaded", true, false, false, false},
}};

bool cancels_abandoned(std::string_view column) {
  const auto base = column.substr(0, column.find('+'));
  return std::any_of(column_servers.begin(), column_servers.end(),
                     [&](const auto& c) { return c.name == base && c.cancels; });
}

std::optional<column_spec> parse_column(std::string_view name) {
  auto plus = name.find('+');
  column_spec spec{std::string(name.substr(0, plus)), {}};
  const auto* server = std::find_if(column_servers.begin(), column_servers.end(),
                                    [&](const auto& c) { return c.name == spec.executor; });
  if (server == column_servers.end()) return std::nullopt;
  spec.program = std::string(server->program);
  // Each '+' adds one variant; the same variant twice would give the server a flag twice.
  bool gil = false, nice = false, adaptive = false;
  while (plus != std::string_view::npos) {
    const auto next = name.find('+', plus + 1);
    const auto part =
        name.substr(plus + 1, next == std::string_view::npos ? next : next - plus - 1);
    if (part.starts_with("gil") && !gil && server->gil) {
      if (!add_gil(part.substr(3), spec.flags)) return std::nullopt;
      gil = true;
    } else if (part.starts_with("nice") && !nice && server->nice) {
      if (!add_nice(part.substr(4), spec.flags)) return std::nullopt;
      nice = true;
    } else if (part == "adaptive" && !adaptive && server->adaptive) {
      spec.flags.insert(spec.flags.end(),
                        {"--offload-above", fmt::format("{}", default_offload_above)});
      adaptive = true;
    } else {
      return std::nullopt;
    }
    plus = next;
  }
  return spec;
}

std::string column_error(std::string_view name) {
  if (parse_column(name)) return {};
  const auto plus = name.find('+');
  const auto first = name.substr(0, plus);
  std::vector<std::string> servers;
  for (const auto& c : column_servers) servers.emplace_back(c.name);
  const auto* server = std::find_if(column_servers.begin(), column_servers.end(),
                                    [&](const auto& c) { return c.name == first; });
  if (server == column_servers.end()) {
    const auto guess = cli::closest(first, servers);
    return fmt::format("{}: unknown executor; {}", name,
                       guess.empty() ? "expected inline, threads, processes, blocking or "
                                       "thread-per-conn"
                                     : fmt::format("did you mean {}?", guess));
  }
  const auto variants = server->adaptive              ? "+gil<interval>, +nice<0-19>, +adaptive"
                        : server->gil && server->nice ? "+gil<interval> and +nice<0-19>"
                        : server->gil                 ? "+gil<interval>"
                                                      : "no variants";
  for (auto at = plus; at != std::string_view::npos; at = name.find('+', at + 1)) {
    const auto part = name.substr(at + 1, name.find('+', at + 1) - at - 1);
    if (part.starts_with("gil") && server->gil && !part.empty() &&
        std::isdigit(static_cast<unsigned char>(part.back()))) {
      return fmt::format("{}: the switch interval needs a unit (us, ms or s), e.g. {}ms", name,
                         name.substr(0, at + 1 + part.size()));
    }
  }
  return fmt::format("{}: not a column; {} takes {} (each at most once)", name, first, variants);
}

std::vector<std::string> gil_sweep_columns() {
  return {"threads",       "threads+gil5ms",   "threads+gil2ms",
          "threads+gil1s", "processes+gil5ms", "processes"};
}

const std::vector<lesson_stage>& lesson_stages() {
  static const std::vector<lesson_stage> stages{
      {"blocking", "1 blocking", "one client at a time: the others wait"},
      {"thread-per-conn", "2 thread/conn", "no lock: small requests keep flowing"},
      {"thread-per-conn+gil5ms", "2 thread/conn", "CPython's lock, 5 ms: they drop >90%"},
      {"thread-per-conn+gil2ms", "2 thread/conn", "2 ms switch: about twice 5 ms"},
      {"thread-per-conn+gil1s", "2 thread/conn", "1 s switch: almost nothing"},
      {"inline", "3 event loop", "computing on the loop: frozen"},
      {"threads", "3 event loop", "thread pool, no lock: keeps flowing"},
      {"processes", "3 event loop", "process pool: keeps flowing"},
  };
  return stages;
}

const lesson_stage* find_stage(std::string_view column) {
  for (const auto& s : lesson_stages()) {
    if (s.column == column) return &s;
  }
  return nullptr;
}

std::vector<std::string> server_argv(const lab_config& config, const std::string& executor) {
  const auto column = parse_column(executor);
  if (!column) throw std::invalid_argument(fmt::format("not an executor: '{}'", executor));
  // A reference server runs beside primeloop-server, with the flags that mean something to it.
  const bool reference = column->program != "primeloop-server";
  std::vector<std::string> argv{(config.server.parent_path() / column->program).string()};
  if (!reference) argv = {config.server.string(), "--executor", column->executor};
  for (const auto* flag : {"--port", "0", "--workload", config.workload.c_str(), "--stats-interval",
                           "1", "--grace", "0"}) {
    argv.emplace_back(flag);
  }
  argv.insert(argv.end(), column->flags.begin(), column->flags.end());
  if (reference) return argv;
  // The lesson as told: a pool column hands every request to the pool, whatever the server's
  // own default is; '+adaptive' keeps cheap ones on the loop.
  if (column->executor != "inline" &&
      std::find(argv.begin(), argv.end(), "--offload-above") == argv.end()) {
    argv.insert(argv.end(), {"--offload-above", "0"});
  }
  if (config.workers) {
    argv.push_back("--workers");
    argv.push_back(std::to_string(*config.workers));
  }
  argv.insert(argv.end(), config.server_flags.begin(), config.server_flags.end());
  return argv;
}

int long_computation_nice(const std::vector<std::string>& argv) {
  const auto executor = std::find(argv.begin(), argv.end(), "--executor");
  if (executor == argv.end() || executor + 1 == argv.end() || executor[1] == "inline") return 0;
  int nice = 0;
  // The last one counts, as it does for the server's parser.
  for (auto it = argv.begin(); it != argv.end(); ++it) {
    constexpr std::string_view flag = "--worker-nice";
    if (*it == flag && it + 1 != argv.end()) {
      std::from_chars(it[1].data(), it[1].data() + it[1].size(), nice);
    } else if (it->starts_with(flag) && it->size() > flag.size() && (*it)[flag.size()] == '=') {
      std::from_chars(it->data() + flag.size() + 1, it->data() + it->size(), nice);
    }
  }
  return nice;
}

std::string_view before_load_name(bool standin) noexcept {
  return standin ? "standin" : "none";
}

std::string describe_before_load(bool standin) {
  // Short enough for the summary in a 100-column terminal.
  return standin ? "before: one core kept busy by a stand-in computation, as the long request will"
                 : "before: idle cores (--no-standin): a pool may look faster during than before";
}

executor_summary summarize(const executor_run& run, const lab_config& config) {
  executor_summary s;
  s.executor = run.executor;
  s.round = run.round;
  const auto& r = run.load;
  s.before_first = config.before_s >= 2 ? 2 : 1;
  s.before_last = config.before_s;
  s.before_rps = mean_rps(r, s.before_first, s.before_last);
  const unsigned during_first = config.before_s + 1;
  const unsigned during_last = config.during_end_s();
  s.during_rps = mean_rps(r, during_first, during_last);
  if (config.after_s > 0) {
    // Its first second is the server cancelling the computation (and a pool replacing a
    // killed worker): skipped, as before's first second is.
    s.after_first = during_last + (config.after_s >= 2 ? 2 : 1);
    s.after_last = config.total_s();
    s.after_rps = mean_rps(r, s.after_first, s.after_last);
    // A run cut short has no after: before alone is the reference then.
    s.after_counts = cancels_abandoned(run.executor) && r.seconds.size() >= s.after_last;
  }
  // A-B-A: the mean of before and after is the rate the machine would have given at the
  // middle of "during" had it drifted linearly; drift then cancels out of the ratio.
  const double reference = s.after_counts ? (s.before_rps + s.after_rps) / 2 : s.before_rps;
  if (reference > 0) s.retention = s.during_rps / reference;
  clients::latency_histogram during;
  for (unsigned sec = during_first; sec <= during_last && sec <= r.histograms.size(); ++sec) {
    during.merge(r.histograms[sec - 1]);
  }
  s.during_answered = during.count();
  // Requests in flight when the run is cut off are normal; only those that had already waited
  // longer than every answered one are stuck, and count with their wait so far (the client's
  // rule, shared).
  clients::copy_figures(clients::figures_with_waiting(during, r.unfinished_ages), s);
  s.unfinished = r.unfinished;
  s.oldest_unfinished = r.oldest_unfinished;
  s.long_completed = r.long_completed;
  s.connections_answered = r.connections_answered;
  const auto failure = run_failure(run);
  s.failed = !failure.empty();
  s.worst_lag = run.worst_lag;
  s.server_end += s.failed ? fmt::format("FAILED: {}; {}", failure, run.stopped.describe())
                           : run.stopped.describe();
  return s;
}

net::awaitable<std::vector<executor_run>> run_lab(const lab_config& config,
                                                  lab_observer& observer) {
  std::filesystem::create_directories(config.out_dir);
  std::vector<executor_run> runs;
  // Round after round, every column once in each: drift of the machine over the rounds then
  // hits every column alike, where N runs of one column after another would give it to one.
  for (unsigned round = 1; round <= config.repeat; ++round) {
    observer.round_started(round, config.repeat);
    for (std::size_t i = 0; i < config.executors.size(); ++i) {
      runs.push_back(co_await run_one(config, i, round, observer));
      observer.finished(i, runs.back());
    }
  }
  co_return runs;
}

}  // namespace primeloop::lab
