#include "benchmarks/reference/reference_server.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "server/open_files.hpp"

namespace primeloop::reference {

reference_server::reference_server(reference_options options, std::string executor,
                                   std::string details)
    : options_(std::move(options)),
      executor_(std::move(executor)),
      details_(std::move(details)),
      errors_(options_.max_n, options_.max_line, options_.idle_timeout),
      gil_(options_.gil ? std::make_unique<executors::gil>(options_.switch_interval) : nullptr),
      listener_(options_.bind, options_.port, options_.backlog) {
  (void)raise_open_file_limit();
}

int reference_server::run(
    const std::function<void(const listener&, connection_context&)>& accept_loop) {
  const std::string gil =
      gil_ ? fmt::format(" gil={}s", std::chrono::duration<double>(gil_->interval()).count())
           : std::string();
  // Within a 100-column terminal: the details go to a line of their own when they do not fit.
  const auto head = fmt::format("listening on {}:{} executor={}", listener_.address(),
                                listener_.port(), executor_);
  const auto tail =
      fmt::format("workload={} max-n={}{}", to_string(options_.work), options_.max_n, gil);
  if (head.size() + details_.size() + tail.size() + 2 <= 100) {
    fmt::print("{} {} {}\n", head, details_, tail);
  } else {
    fmt::print("{} {}\n  {}\n", head, tail, details_);
  }
  std::fflush(stdout);
  connection_context ctx{options_, errors_, counters_, shutdown_, wake_, gil_.get()};
  stats_printer printer(counters_, options_.stats_interval);
  signal_watcher watcher(shutdown_, [this](int sig, int count) {
    if (count > 1) {
      static constexpr char msg[] = "second signal, exiting now\n";
      [[maybe_unused]] const auto w = ::write(2, msg, sizeof msg - 1);
      ::_exit(1);
    }
    // Waiters for the lock would each wait a switch interval while the server stops.
    if (gil_) gil_->disable();
    fmt::print(stderr, "{}: signal {} received, shutting down (grace {} ms)\n", executor_, sig,
               options_.grace.count());
    std::fflush(stderr);
    wake_.fire();
  });
  accept_loop(listener_, ctx);
  return 0;
}

}  // namespace primeloop::reference
