// primeloop-baseline: the minimal server the throughput benchmark compares every executor with.
#include <fmt/format.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <exception>

#include "benchmarks/baseline/baseline_server.hpp"
#include "cli/cli.hpp"
#include "cli/validators.hpp"

int main(int argc, char** argv) {
  CLI::App app{"primeloop-baseline: read, answer \"2\\n\" to every line, write; nothing else"};
  primeloop::cli::setup(app, "primeloop-baseline");
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;
  app.add_option(primeloop::cli::flag("--bind"), bind, "Address to listen on")->default_val(bind);
  app.add_option(primeloop::cli::flag("--port"), port, "Port (0 picks a free one)")
      ->check(primeloop::cli::range(0, 65535, "0: any free port"))
      ->default_val(port);
  if (const auto status = primeloop::cli::parse(app, argc, argv)) return *status;
  try {
    asio::io_context io;
    primeloop::baseline::baseline_server server(io.get_executor(), bind, port);
    server.start();
    // A session may be blocked on a client that never closes: stopping the loop ends them all.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code, int) { io.stop(); });
    fmt::print("listening on {}:{} executor=baseline\n", bind, server.port());
    std::fflush(stdout);
    io.run();
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "primeloop-baseline: {}\n", e.what());
    return 1;
  }
}
