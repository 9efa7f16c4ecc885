#include "benchmarks/bench_command.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "benchmarks/lab_support.hpp"

namespace primeloop::lab {

std::optional<bench_config> parse_bench_flags(int argc, char** argv, int& exit_code) {
  CLI::App app{"primeloop-bench: small-request throughput as a ratio of the baseline server"};
  bench_config config;
  std::string out_dir = config.out_dir.string(), server, baseline;
  app.add_option("--executors,-e", config.executors, "Executors to measure")
      ->delimiter(',')
      ->check(CLI::IsMember({"inline", "threads", "processes"}))
      ->default_str("inline,threads,processes");
  app.add_option("--connections,-c", config.connection_counts, "Connection counts")
      ->delimiter(',')
      ->check(CLI::Range(1u, 10000u))
      ->default_str("1,16,64");
  app.add_option("--duration,-d", config.duration_s, "Measured seconds per cell")
      ->default_val(config.duration_s)
      ->check(CLI::Range(1u, 600u));
  app.add_option("--rounds,-r", config.rounds, "Rounds over all cells; each keeps its best")
      ->default_val(config.rounds)
      ->check(CLI::Range(1u, 100u));
  app.add_option("--depth", config.depth, "Pipelining depth")
      ->default_val(config.depth)
      ->check(CLI::Range(1u, 4096u));
  app.add_option("--workers", config.workers, "Server --workers (default: the server's)");
  app.add_option("--server", server, "primeloop-server (default: next to this program)");
  app.add_option("--baseline", baseline, "primeloop-baseline (default: next to this program)");
  app.add_option("--server-arg", config.server_flags, "Extra flag for every server (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--out,-o", out_dir, "Directory for bench.csv and server logs")
      ->default_val(out_dir);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  }
  config.out_dir = std::filesystem::absolute(out_dir);
  config.command = quote_command(argc, argv);
  try {
    config.server = sibling_binary(server, "primeloop-server");
    config.baseline = sibling_binary(baseline, "primeloop-baseline");
  } catch (const std::exception& e) {
    fmt::print(stderr, "primeloop-bench: {}\n", e.what());
    exit_code = 1;
    return std::nullopt;
  }

  return config;
}

int run_bench_command(const bench_config& config) {
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::vector<bench_cell> cells;
  int status = 1;
  const auto progress = [](const bench_cell& c) {
    fmt::print(
        "  round {} {:<10} {:>3} connections: {:>9.0f} req/s  p50 {:.1f} us  p99 {:.1f} us{}\n",
        c.round, c.target, c.connections, c.rps, static_cast<double>(c.p50.count()) / 1e3,
        static_cast<double>(c.p99.count()) / 1e3, c.error.empty() ? "" : "  " + c.error);
    std::fflush(stdout);
  };
  asio::co_spawn(io, run_bench(config, progress),
                 [&](std::exception_ptr e, std::vector<bench_cell> r) {
                   signals.cancel();
                   if (e) return report_exception("primeloop-bench", e);
                   cells = std::move(r);
                   status = 0;
                 });
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    fmt::print(stderr, "primeloop-bench: interrupted\n");
    status = 130;
    io.stop();
  });
  io.run();
  if (status != 0) return status;
  fmt::print("\n{}", format_bench(cells, config));
  const auto csv = config.out_dir / "bench.csv";
  const auto txt = config.out_dir / "bench.txt";
  std::ofstream(csv) << bench_csv(cells, config);
  std::ofstream(txt) << "command: " << config.command << "\n\n" << format_bench(cells, config);
  fmt::print("wrote {} and {}\n", csv.string(), txt.string());
  return 0;
}

}  // namespace primeloop::lab
