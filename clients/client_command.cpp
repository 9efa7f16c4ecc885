#include "clients/client_command.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/cli.hpp"
#include "cli/validators.hpp"
#include "clients/cost_hint.hpp"
#include "clients/load_screen.hpp"
#include "clients/settled.hpp"
#include "clients/spinner.hpp"
#include "clients/terminal_block.hpp"
#include "core/protocol.hpp"
#include "core/workloads.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>

namespace primeloop::clients {

namespace net = asio;

namespace {

net::awaitable<int> run_one_shot(one_shot_config config, std::vector<std::string> requests,
                                 bool spinner) {
  using namespace net::experimental::awaitable_operators;
  std::vector<std::string> replies;
  if (spinner && spinner_allowed()) {
    // Said before the wait starts, so that a wait longer than a life is not taken on trust.
    for (const auto& line : cost_hint(requests)) fmt::print(stderr, "primeloop-client: {}\n", line);
    // The spinner is cancelled the moment the answers are in, or the moment asking fails (the
    // server closed the connection, say); it clears its own line.
    replies = value_of(std::get<0>(co_await (settled(ask(config, requests)) || spin())));
  } else {
    replies = co_await ask(config, requests);
  }
  int status = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].starts_with("ERR")) {
      fmt::print(stderr, "primeloop-client: the server answered '{}' to '{}'\n", replies[i],
                 requests[i]);
      status = 1;
    } else {
      fmt::print("{}\n", replies[i]);
      std::fflush(stdout);  // answers and ERR lines (stderr) appear in request order
    }
  }
  co_return status;
}

/// The exit status of a program ended by SIGINT, as a shell reports it.
constexpr int interrupted_status = 128 + SIGINT;

net::awaitable<int> run_load_mode(load_config config, output_format format,
                                  net::cancellation_slot stop) {
  // Text on a terminal: one block redrawn in place; elsewhere (and JSON, CSV) a line a second.
  std::optional<load_screen> screen;
  if (format == output_format::text && is_terminal(stdout)) screen.emplace(config, stdout);
  second_callback each_second = [format](const second_sample& s) {
    fmt::print("{}", format_second(s, format));
    std::fflush(stdout);
  };
  if (screen) {
    screen->start();
    each_second = [&screen](const second_sample& s) { screen->second(s); };
  } else {
    fmt::print("{}", format_header(format));
    std::fflush(stdout);
  }
  const auto result = co_await run_load(config, std::move(each_second), stop);
  if (screen) fmt::print("\n");
  fmt::print("{}", format_summary(result, format));
  std::fflush(stdout);
  if (result.interrupted) co_return interrupted_status;
  co_return (result.errors > 0 || result.connection_failures > 0) ? 1 : 0;
}

}  // namespace

std::optional<client_command> parse_client_flags(int argc, char** argv, int& exit_code) {
  CLI::App app{
      "Asks a primeloop server for the nth prime (primeloop-client 10 20 30), or puts load on "
      "it (primeloop-client --load). docs/clients.md has the details."};
  cli::setup(app, "primeloop-client");
  client_command cmd;
  auto& one = cmd.one_shot;
  auto& load = cmd.load;
  auto& requests = cmd.requests;
  one.port = protocol::default_port;
  double timeout_s = 0, long_after_s = 5, warmup_s = 0, slo_ms = 10;
  std::uint64_t long_n = 0;
  bool json = false, csv = false, load_flag = false;
  app.add_option(cli::flag("--host"), one.host, "Server address")->default_val(one.host);
  app.add_option(cli::flag("--port"), one.port, "Server port")
      ->check(cli::range(1, 65535))
      ->default_val(one.port);
  app.add_option("n", requests, "One-shot mode: the n values to ask for (one answer a line)");
  app.add_option("--timeout", timeout_s,
                 "One-shot: seconds to wait for all answers (0: as long as the server works)")
      ->check(cli::seconds(0, cli::max_seconds, "0: as long as the server works"))
      ->default_val(timeout_s);
  app.add_flag("--no-spinner", cmd.no_spinner,
               "One-shot: no spinner while waiting (it is only ever drawn on a terminal)");
  const std::string group = "Load mode (when no n is given)";
  const std::vector<CLI::Option*> load_options{
      app.add_flag("--load", load_flag, "Load mode with the defaults below"),
      app.add_option(cli::flag("--connections"), load.connections, "Small-request connections")
          ->default_val(load.connections)
          ->check(cli::range(1, 100'000)),
      app.add_option("--n", load.n, "What each small request asks for")
          ->default_val(load.n)
          ->check(cli::range_u64(1, largest_n(workload::fast))),
      app.add_option("--depth", load.depth, "Requests outstanding per connection (pipelining)")
          ->default_val(load.depth)
          ->check(cli::range(1, 4096)),
      app.add_option(cli::flag("--duration"), load.duration_s, "Seconds of load")
          ->default_val(load.duration_s)
          ->check(cli::range(1, 86'400)),
      app.add_option("--long-n", long_n,
                     "Also ask for this n again and again on one more connection")
          ->check(cli::range_u64(1, largest_n(workload::fast))),
      app.add_option("--long-after", long_after_s, "Seconds before the long request starts")
          ->default_val(long_after_s)
          ->check(cli::seconds()),
      app.add_option("--rate", load.rate,
                     "Open loop: this many requests a second over all connections, each sent "
                     "at its due time even when earlier ones are unanswered (pipelined); "
                     "latency is timed from the due time and from the send")
          ->check(cli::decimal(0.001, 10'000'000, "requests a second")),
      app.add_option("--warmup", warmup_s,
                     "Seconds of load before the measured ones, left out of every figure")
          ->default_val(warmup_s)
          ->check(cli::seconds(0, 3600)),
      app.add_option("--slo", slo_ms,
                     "Open loop with --long-n: the share of small requests due during the long "
                     "one slower than this many milliseconds")
          ->default_val(slo_ms)
          ->check(cli::decimal(0.001, 3'600'000, "milliseconds")),
      app.add_flag("--json", json, "Print JSON lines instead of text"),
      app.add_flag("--csv", csv, "Print CSV instead of text"),
  };
  for (auto* opt : load_options) opt->group(group);
  const auto check = [&] {
    if (json && csv) throw cli::usage_error("--json and --csv: choose one");
    // Open loop pipelines as deep as the schedule needs: a fixed depth would contradict it.
    if (app.count("--rate") > 0 && app.count("--depth") > 0) {
      throw cli::usage_error("--rate and --depth: an open-loop connection pipelines as needed");
    }
    cli::only_with(app, "--long-after", "--long-n", "when the long request starts");
    cli::only_with(app, "--slo", "--rate", "the open loop's latency target");
    const bool load_mode = std::any_of(load_options.begin(), load_options.end(),
                                       [](const CLI::Option* o) { return o->count() > 0; });
    for (const char* one_shot_only : {"--timeout", "--no-spinner"}) {
      if (load_mode && app.count(one_shot_only) > 0) {
        throw cli::usage_error(fmt::format(
            "{}: means nothing in load mode (it is for one-shot mode: n values)", one_shot_only));
      }
    }
    if (load_mode && !requests.empty()) {
      throw cli::usage_error(fmt::format("{}: give n values (one-shot) or load flags, not both",
                                         fmt::join(requests, " ")));
    }
    if (!load_mode && requests.empty()) {
      throw cli::usage_error(
          "nothing to ask: give n values (primeloop-client 10 20) or --load for load mode");
    }
  };
  if (const auto status = cli::parse(app, argc, argv, check)) {
    exit_code = *status;
    return std::nullopt;
  }
  load.host = one.host;
  load.port = one.port;
  if (long_n) load.long_n = long_n;
  // Bounded by their checks, and clamped again by the conversions.
  load.long_after = cli::milliseconds_of(long_after_s);
  load.warmup = cli::milliseconds_of(warmup_s);
  load.slo = cli::microseconds_of(slo_ms / 1000);
  one.timeout = cli::milliseconds_of(timeout_s);
  cmd.format = json ? output_format::json : csv ? output_format::csv : output_format::text;

  return cmd;
}

int run_client_command(const client_command& cmd) {
  net::io_context io;
  int status = 1;
  // In load mode, Ctrl-C ends the run early and the summary of what was measured still prints.
  // Both live here, next to the io_context, so they outlive every handler that uses them.
  net::signal_set interrupts(io);
  net::cancellation_signal stop_load;
  const bool load_mode = cmd.requests.empty();
  if (load_mode) {
    interrupts.add(SIGINT);
    interrupts.async_wait([&](std::error_code ec, int) {
      if (ec) return;
      // A second Ctrl-C ends the client at once, should stopping ever hang.
      std::error_code ignored;
      interrupts.remove(SIGINT, ignored);
      stop_load.emit(net::cancellation_type::terminal);
    });
  }
  auto work = load_mode ? run_load_mode(cmd.load, cmd.format, stop_load.slot())
                        : run_one_shot(cmd.one_shot, cmd.requests, !cmd.no_spinner);
  net::co_spawn(io, std::move(work), [&](std::exception_ptr e, int s) {
    // The wait for SIGINT would keep io.run() going after the work is done.
    interrupts.cancel();
    if (!e) {
      status = s;
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      fmt::print(stderr, "primeloop-client: {}\n", ex.what());
    }
  });
  io.run();
  return status;
}

}  // namespace primeloop::clients
