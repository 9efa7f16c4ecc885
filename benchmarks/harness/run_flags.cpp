#include "benchmarks/harness/run_flags.hpp"

#include <CLI/CLI.hpp>

#include "cli/validators.hpp"

namespace primeloop::harness {

void add_long_request_flags(CLI::App& app, unsigned& before_s, unsigned& during_s,
                            bool& no_standin) {
  app.add_option("--before", before_s, "Seconds of load before the long request")
      ->default_val(before_s)
      ->check(cli::range(1, 3600));
  app.add_option("--during", during_s, "Seconds of load after the long request starts")
      ->default_val(during_s)
      ->check(cli::range(1, 3600));
  app.add_flag("--no-standin", no_standin,
               "Measure 'before' with idle cores. By default a stand-in process keeps one "
               "core busy until the long request is sent, so that before and during both run "
               "with one busy core (docs/lessons.md)");
}

void add_after_flag(CLI::App& app, unsigned& after_s) {
  app.add_option("--after", after_s,
                 "Seconds of load after the long request's connection is closed (the server "
                 "cancels it); retention compares during with the mean of before and after, so "
                 "drift of the machine cancels out. 0: no after, retention = during / before")
      ->default_val(after_s)
      ->check(cli::range(0, 3600));
}

void add_server_flags(CLI::App& app, std::optional<unsigned>& workers, std::string& server,
                      std::vector<std::string>& server_flags) {
  app.add_option("--workers", workers, "Server --workers (default: the server's)")
      ->check(cli::range(0, std::int64_t{1} << 24));
  app.add_option("--server", server, "primeloop-server to run (default: next to this program)");
  app.add_option("--server-arg", server_flags, "Extra flag for every server (repeatable)")
      ->allow_extra_args(false);
}

}  // namespace primeloop::harness
