#pragma once
/// The lab: the lesson's scenario run against each executor in turn. For each one it starts
/// primeloop-server as a child on a free port, puts a small-request load on it, starts the long
/// request after a few seconds, stops the server, and keeps what the client side measured.
#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/harness/server_child.hpp"
#include "clients/load_generator.hpp"
#include "core/executor_kind.hpp"
#include "core/names.hpp"

namespace primeloop::lab {

/// What the lab runs. The defaults are the lesson's scenario and take under a minute.
struct lab_config {
  /// The columns, in this order: by default every executor (executor_names).
  std::vector<std::string> executors = names_of(::primeloop::executor_names);
  unsigned before_s = 5;  ///< seconds of small-request load before the long request
  unsigned during_s = 8;  ///< seconds of load after the long request starts
  /// Seconds of load after the long request's connection is closed (the server cancels its
  /// computation): "after", measured like "before", so that drift of the machine between the
  /// phases cancels out of retention (docs/lessons.md). 0: no "after", retention = during / before.
  unsigned after_s = 5;
  std::uint64_t n = 1;                      ///< the small request
  std::uint64_t long_n = 100'000;           ///< the long request (naive: minutes of CPU)
  unsigned connections = 16;                ///< small-request connections
  unsigned depth = 1;                       ///< pipelining depth per connection
  std::optional<unsigned> workers{};        ///< --workers for the server (its default when unset)
  std::string workload = "naive";           ///< --workload for the server
  std::filesystem::path server{};           ///< path of primeloop-server
  std::vector<std::string> server_flags{};  ///< extra flags passed to every server
  std::filesystem::path out_dir = "lab-results";  ///< where CSV, SVG and logs go
  std::chrono::milliseconds stop_grace{3000};     ///< SIGTERM to SIGKILL
  std::string command{};  ///< the command line that ran the lab, quoted in its outputs
  bool story = false;     ///< --story: the lesson's stages in order, with the story table
  /// --rate: the small requests open loop at this many a second (0: closed loop, the default).
  double rate = 0;
  /// --slo: open loop, the latency the share of slow requests during the long one is counted
  /// against.
  std::chrono::microseconds slo{10'000};
  /// Load before the measured seconds, not counted (the bench's --warmup; the lab has none).
  std::chrono::milliseconds warmup{0};
  /// While "before" is measured, one core is kept busy by a stand-in process (harness/busy_core),
  /// stopped when the long request is sent, so that before and during run with one busy core
  /// each (docs/lessons.md). False (--no-standin): "before" runs with idle cores.
  bool standin = true;
  /// --repeat: how many times each column runs. The rounds are interleaved (round 1 runs every
  /// column once, in order, then round 2, ...) so that drift of the shared machine hits every
  /// column alike; the summary shows each figure's median and its range over the rounds.
  unsigned repeat = 1;

  /// Seconds of load per executor.
  [[nodiscard]] unsigned total_s() const { return before_s + during_s + after_s; }
  /// The last second of "during": the long request's connection is closed at its end.
  [[nodiscard]] unsigned during_end_s() const { return before_s + during_s; }
};

/// One executor's run.
struct executor_run {
  std::string executor;           ///< its name
  unsigned round = 1;             ///< which round of --repeat it was (from 1)
  std::string listening_line;     ///< the server's first line
  clients::load_result load;      ///< what the client side measured
  harness::stop_outcome stopped;  ///< how the server ended
  std::string error;              ///< non-empty when the run failed (the rest is then partial)
  /// The worst loop lag the server's stats lines reported during the long request; nullopt when
  /// they report none.
  std::optional<std::chrono::nanoseconds> worst_lag;
};

/// The derived figures of one run, as the summary table shows them.
struct executor_summary {
  std::string executor;       ///< its name
  unsigned round = 1;         ///< executor_run::round
  unsigned before_first = 0;  ///< first second counted as "before" (second 1 is warm-up)
  unsigned before_last = 0;   ///< last second counted as "before"
  double before_rps = 0;      ///< mean req/s before the long request
  double during_rps = 0;      ///< mean req/s while the long request runs
  unsigned after_first = 0;   ///< first second counted as "after" (0: no after phase)
  unsigned after_last = 0;    ///< last second counted as "after"
  double after_rps = 0;       ///< mean req/s once the long request's connection closed
  /// "after" is part of retention's reference: the column's server cancels a computation whose
  /// client left. Inline (the loop itself computes) and the reference servers cannot: their
  /// "after" shows the abandoned computation still running, and retention is during / before.
  bool after_counts = false;
  /// during / mean(before, after) when after counts, else during / before (none when that
  /// reference is zero).
  std::optional<double> retention;
  std::uint64_t during_answered = 0;  ///< small requests answered during the long request
  /// Latency of small requests during the long request. Requests still unanswered at the end
  /// that had waited longer than every answered one are stuck: they count with their wait so
  /// far, and a figure that falls on one of them is only a lower bound.
  std::chrono::nanoseconds p50{0}, p99{0}, max{0};
  bool p50_lower_bound = false, p99_lower_bound = false, max_lower_bound = false;
  std::uint64_t unfinished = 0;  ///< small requests never answered before the run ended
  std::chrono::nanoseconds oldest_unfinished{0};  ///< how long the oldest of those waited
  std::uint64_t long_completed = 0;               ///< long requests answered
  unsigned connections_answered = 0;              ///< small-request connections that got any answer
  std::string server_end;                         ///< stop_outcome::describe(), or the error
  bool failed = false;  ///< the run failed (its error is in server_end): no figure of it counts
  std::optional<std::chrono::nanoseconds> worst_lag;  ///< executor_run::worst_lag
};

/// Computes the summary of one run.
[[nodiscard]] executor_summary summarize(const executor_run& run, const lab_config& config);

/// Receives progress while the lab runs (on the loop thread).
class lab_observer {
 public:
  virtual ~lab_observer() = default;
  /// A round of --repeat begins (round 1 of 1 without it): every column runs once in it.
  virtual void round_started(unsigned round, unsigned rounds) = 0;
  /// An executor's server is up.
  virtual void started(std::size_t index, const std::string& listening_line) = 0;
  /// One second of an executor's run ended.
  virtual void second(std::size_t index, const clients::second_sample& sample) = 0;
  /// An executor's run ended (failed when run.error is set).
  virtual void finished(std::size_t index, const executor_run& run) = 0;
};

/// A callback for each measured second of a run.
using second_fn = std::function<void(const clients::second_sample&)>;

/// The scenario on one server that is already listening: the stand-in (config.standin) until
/// the long request, the small-request load with the long request after config.before_s, then
/// the server stopped, which ends the long computation with it. A failure is kept in run.error.
/// The lab runs it on a server of its own per column; the bench on the servers it keeps up.
[[nodiscard]] asio::awaitable<executor_run> run_scenario(harness::server_child& server,
                                                         const lab_config& config,
                                                         std::string column,
                                                         second_fn each_second = {});

/// Runs every executor of config in turn, config.repeat rounds of them, and returns the runs in
/// that order (round after round). A failing executor is reported in its run and the others
/// still run.
[[nodiscard]] asio::awaitable<std::vector<executor_run>> run_lab(const lab_config& config,
                                                                 lab_observer& observer);

/// One column of the lab or the benchmark: an executor and variants of its server, named
/// "<executor>" followed by any of "+gil<interval>" (the interpreter-lock model, the interval in
/// us, ms or s: "threads+gil5ms") and "+nice<0..19>" (--worker-nice: "threads+nice19").
struct column_spec {
  std::string executor;            ///< inline, threads, processes, blocking or thread-per-conn
  std::vector<std::string> flags;  ///< what the name adds to the server's command line
  std::string program = "primeloop-server";  ///< the server that runs it (beside primeloop-server)
};

/// A stage of the lesson the lab can run: which server stands for it and what it teaches.
struct lesson_stage {
  std::string_view column;   ///< the column name (parse_column reads it)
  std::string_view stage;    ///< "1 blocking", "2 thread per connection", "3 event loop"
  std::string_view teaches;  ///< what its row should show
};

/// --story: the whole lesson in order, from the blocking server to the process pool.
[[nodiscard]] const std::vector<lesson_stage>& lesson_stages();

/// Whether the column's server cancels a computation whose client left, so that its "after"
/// phase runs without the long computation (threads and processes; not inline, whose loop is
/// the one computing, nor the reference servers).
[[nodiscard]] bool cancels_abandoned(std::string_view column);

/// The stage of a column name, if it is one of the lesson's.
[[nodiscard]] const lesson_stage* find_stage(std::string_view column);

/// The column a name asks for, or nullopt when it names none.
[[nodiscard]] std::optional<column_spec> parse_column(std::string_view name);
/// Why name is not a column, in one line that starts with it ("threads+gil5: the switch
/// interval needs a unit ..."); empty when it is one.
[[nodiscard]] std::string column_error(std::string_view name);

/// --gil-sweep: threads without the lock and with it at 5 ms, 2 ms and 1 s, and processes with
/// and without it (docs/gil.md).
[[nodiscard]] std::vector<std::string> gil_sweep_columns();

/// The niceness of the long computation a server's command line gives: its --worker-nice for a
/// pool (0 when unset), 0 for the loop (inline) and the reference servers. The stand-in runs at it.
[[nodiscard]] int long_computation_nice(const std::vector<std::string>& argv);

/// What "before" ran against: "standin" or "none" (the before_load field of the CSV).
[[nodiscard]] std::string_view before_load_name(bool standin) noexcept;
/// One line for the reports: what kept the cores busy while "before" was measured.
[[nodiscard]] std::string describe_before_load(bool standin);

/// The server's command line for one executor (a column name, see parse_column).
[[nodiscard]] std::vector<std::string> server_argv(const lab_config& config,
                                                   const std::string& executor);

}  // namespace primeloop::lab
