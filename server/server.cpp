#include "server/server.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include <fmt/format.h>

#include "core/http_codec.hpp"
#include "core/http_response.hpp"
#include "core/line_codec.hpp"
#include "primeloop/version.hpp"
#include "server/open_files.hpp"

namespace primeloop {
namespace {

/// The options, with the flag the signal watcher sets and the lock model handed to the policy.
server_options watched(server_options options, const executors::shutdown_flag& flag,
                       executors::gil* lock) {
  options.pool.shutdown = &flag;
  options.pool.lock = lock;
  return options;
}

/// The interpreter-lock model when --gil asks for it: one lock for the loop and the pool.
std::unique_ptr<executors::gil> make_gil(const server_options& options) {
  if (!options.gil) return nullptr;
  return std::make_unique<executors::gil>(options.switch_interval);
}

/// What an HTTP client past --max-connections reads: 503, and the line protocol's reason.
std::string http_refusal(std::string_view text) {
  http::response r;
  r.status = 503;
  r.keep_alive = false;
  r.extra_headers = "Retry-After: 1\r\n";
  std::string out;
  http::append_response(out, r, text.substr(4));  // without "ERR "
  return out;
}

/// IPv6 addresses in brackets ("[::1]:25000"), so the port is not read as part of them.
std::string host_port(const tcp::endpoint& ep) {
  const auto& a = ep.address();
  if (a.is_v6()) return fmt::format("[{}]:{}", a.to_string(), ep.port());
  return fmt::format("{}:{}", a.to_string(), ep.port());
}

}  // namespace

server::server(server_options options, policy_factory make_policy)
    : gil_(make_gil(options)),
      options_(watched(std::move(options), shutdown_, gil_.get())),
      errors_(options_.max_n, options_.max_line, options_.idle_timeout, options_.line_timeout),
      policy_(make_policy(io_.get_executor(), options_.pool)),
      long_(*policy_, options_.pool.work, options_.pool.offload_above),
      grace_timer_(io_),
      publish_timer_(io_),
      connections_(io_.get_executor(), counters_, options_.idle_timeout),
      ctx_{long_, options_, counters_, connections_, gil_.get()},
      info_{version, policy_->name(), to_string(options_.pool.work),
            policy_->name() == to_string(executor_kind::inline_) ? stats_source::loop
                                                                 : stats_source::pool},
      pages_(counters_, info_, shutting_down_, options_.pool.queue_limit, options_.max_connections,
             lag_, [this] { return live_now(); }),
      line_(io_, ctx_,
            {"line", "the line port", "-p", options_.port,
             std::string(errors_[errc::too_many_connections]),
             [this] {
               return std::make_unique<protocol::line_codec>(errors_, options_.max_n,
                                                             options_.max_line);
             },
             nullptr,  // past --max-connections, refused: no probe speaks the line protocol
             nullptr}) {
  const std::size_t files = raise_open_file_limit();
  if (files < options_.max_connections + 64) {
    fmt::print(stderr,
               "primeloop-server: warning: only {} open files allowed; --max-connections {} "
               "will be limited by it\n",
               files, options_.max_connections);
  }
  if (options_.http_port) {
    http_.emplace(
        io_, ctx_,
        listener_config{
            "http", "the HTTP port", "--http-port", *options_.http_port,
            http_refusal(errors_[errc::too_many_connections]),
            [this] { return std::make_unique<http::http_codec>(errors_, options_.max_n, pages_); },
            [this] {
              return std::make_unique<http::http_codec>(errors_, options_.max_n, pages_,
                                                        http::default_max_head, true);
            },
            &counters_.http_connections});
  }
}

int server::run() {
  const auto st = policy_->stats();
  const auto head = fmt::format("listening on {} executor={}", host_port(line_.local_endpoint()),
                                policy_->name());
  const auto pool =
      fmt::format("workers={} workload={}", st.workers, to_string(options_.pool.work));
  auto limits = fmt::format("max-n={}", options_.max_n);
  if (gil_) {
    limits += fmt::format(" gil={}s", std::chrono::duration<double>(gil_->interval()).count());
  }
  // Within a 100-column terminal: when the line does not fit, workers and workload go to a
  // second line; the address, the executor, max-n (which the lab reads) and gil stay.
  if (head.size() + pool.size() + limits.size() + 2 <= 100) {
    fmt::print("{} {} {}\n", head, pool, limits);
  } else {
    fmt::print("{} {}\n  {}\n", head, limits, pool);
  }
  if (http_) fmt::print("http listening on {}\n", host_port(http_->local_endpoint()));
  std::fflush(stdout);

  line_.start();
  if (http_) http_->start();
  lag_.start();
  publish_stats();
  // The printer's thread reads the probe's published figures: it says "lag now 3.2 s" while
  // the loop is stuck and cannot.
  printer_.emplace(counters_, options_.stats_interval, info_.source, stdout,
                   [this] { return format_stats_lag(lag_.snapshot()); });
  signal_watcher watcher(shutdown_, [this](int sig, int count) { on_signal(sig, count); });
  io_.run();
  printer_.reset();
  policy_->stop();
  return 0;  // a failure to start throws; a second signal exits from the watcher
}

void server::on_signal(int sig, int count) {
  if (count > 1) {
    // A second signal: leave now. Worker processes die with the server (PR_SET_PDEATHSIG).
    static constexpr char msg[] = "primeloop-server: second signal, exiting now\n";
    [[maybe_unused]] const auto w = ::write(2, msg, sizeof msg - 1);
    ::_exit(1);
  }
  // The lock model would make every event of the shutdown wait a switch interval (a second,
  // say): it is switched off first, from here, since the loop may be waiting for it.
  if (gil_) gil_->disable();
  asio::post(io_, [this, sig] {
    fmt::print(stderr, "primeloop-server: signal {} received\n", sig);
    begin_shutdown();
  });
}

void server::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  lag_.stop();  // the drain's own waits are not the loop's lag
  // Both deadlines count from the signal, not from now: an inline computation may have kept the
  // loop from getting here for seconds, and it is cut at the same moment (its own check reads
  // the signal's time): after the delay, then the grace, on every executor.
  const auto at_ns = shutdown_.at_ns.load(std::memory_order_relaxed);
  const auto signalled =
      at_ns != 0 ? std::chrono::steady_clock::time_point{std::chrono::steady_clock::duration{at_ns}}
                 : std::chrono::steady_clock::now();
  listeners_close_at_ = signalled + options_.drain_delay;
  grace_ends_at_ = listeners_close_at_ + options_.grace;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(listeners_close_at_ -
                                                                 std::chrono::steady_clock::now());
  if (left.count() <= 0) {
    close_listeners();
    return;
  }
  fmt::print(stderr, "primeloop-server: not ready; listeners close in {} ms\n", left.count());
  std::fflush(stderr);
  grace_timer_.expires_at(listeners_close_at_);
  grace_timer_.async_wait([this](std::error_code ec) {
    if (!ec) close_listeners();
  });
}

void server::close_listeners() {
  listeners_closed_ = true;
  if (printer_) printer_->stop();  // the last stats line comes before "shutting down"
  line_.close();
  if (http_) http_->close();
  const auto open = connections_.size();
  const auto grace = std::max(std::chrono::milliseconds{0},
                              std::chrono::ceil<std::chrono::milliseconds>(
                                  grace_ends_at_ - std::chrono::steady_clock::now()));
  fmt::print(stderr, "primeloop-server: shutting down ({} connection{}, grace {} ms)\n", open,
             open == 1 ? "" : "s", grace.count());
  std::fflush(stderr);
  publish_timer_.cancel();
  grace_timer_.expires_at(grace_ends_at_);
  grace_timer_.async_wait([this](std::error_code wait_ec) {
    if (wait_ec) return;
    // Past the grace: whatever still computes gets ERR shutting down, which the connections
    // write before closing; a connection still waiting for one more request reads no more. A
    // client that does not read gets a little longer, then is cut.
    policy_->abort_all(errc::shutting_down);
    connections_.stop_reading_all();
    grace_timer_.expires_after(std::chrono::milliseconds(500));
    grace_timer_.async_wait([this](std::error_code again) {
      if (!again) connections_.close_all();
    });
  });
  connections_.drain_all([this] { on_all_closed(); });
}

void server::on_all_closed() {
  // A connection the listener accepted just before it closed may still have its accept
  // handler queued: the loop ends only once that one has run too.
  asio::post(io_, [this] {
    if (connections_.size() > 0) {
      connections_.drain_all([this] { on_all_closed(); });
      return;
    }
    grace_timer_.cancel();
    policy_->stop();
    io_.stop();
  });
}

void server::publish_stats() {
  const auto st = policy_->stats();
  counters_.queued.store(st.queued, std::memory_order_relaxed);
  counters_.busy.store(st.busy, std::memory_order_relaxed);
  counters_.workers.store(st.workers, std::memory_order_relaxed);
  counters_.crashes.store(st.crashes, std::memory_order_relaxed);
  counters_.kills.store(st.cancel_kills, std::memory_order_relaxed);
  const auto now = std::chrono::steady_clock::now();
  if (now - second_.start >= std::chrono::seconds(1)) {
    const auto answered = counters_.answered.load(std::memory_order_relaxed);
    const double secs = std::chrono::duration<double>(now - second_.start).count();
    second_.rps =
        static_cast<std::uint64_t>(static_cast<double>(answered - second_.answered) / secs + 0.5);
    second_.latency = counters_.latency_window.take_window();
    second_.answered = answered;
    second_.start = now;
  }
  if (listeners_closed_) return;
  publish_timer_.expires_after(std::chrono::milliseconds(100));
  publish_timer_.async_wait([this](std::error_code ec) {
    if (!ec) publish_stats();
  });
}

live_figures server::live_now() const {
  using seconds = std::chrono::duration<double>;
  const auto load = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  live_figures f;
  f.uptime = seconds(std::chrono::steady_clock::now() - started_).count();
  f.executor = info_.executor;
  f.rps = second_.rps;
  f.latency_p50 = seconds(second_.latency.p50).count();
  f.latency_p99 = seconds(second_.latency.p99).count();
  const auto lag = lag_.snapshot();
  f.lag_p99 = seconds(lag.p99).count();
  f.lag_max = seconds(std::max(lag.max, lag.overdue)).count();
  f.in_flight = load(counters_.in_flight);
  f.queued = load(counters_.queued);
  // Inline computes on the loop: what is in flight is the loop computing (as /metrics says).
  const bool loop = info_.source == stats_source::loop;
  f.busy = loop ? std::min<std::uint64_t>(f.in_flight, 1) : load(counters_.busy);
  f.workers = loop ? 1 : load(counters_.workers);
  f.long_request = long_.oldest(std::chrono::steady_clock::now());
  return f;
}

}  // namespace primeloop
