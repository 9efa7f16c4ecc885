#pragma once
/// The server: owns the io_context, the acceptor, the signals, the executor policy and every
/// session. A template over the policy; server/main.cpp picks the instantiation.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "core/http_response.hpp"
#include "core/protocol.hpp"
#include "executors/executor_policy.hpp"
#include "executors/gil.hpp"
#include "primeloop/version.hpp"
#include "server/connection_manager.hpp"
#include "server/dispatcher.hpp"
#include "server/http_session.hpp"
#include "server/metrics.hpp"
#include "server/open_files.hpp"
#include "server/options.hpp"
#include "server/session.hpp"
#include "server/signal_watcher.hpp"
#include "server/stats.hpp"

namespace primeloop {

/// Logs an error that ended a coroutine; operation_aborted and end of stream never get here.
void log_exception(std::string_view where, std::exception_ptr e) noexcept;

/// One listening server running Policy on a single-threaded loop.
template <executors::executor_policy Policy>
class server {
 public:
  /// Builds the pool first (the process pool forks here, before any thread or socket exists),
  /// then binds. Throws std::runtime_error with a readable message when it cannot listen.
  explicit server(server_options options)
      : options_(watched(std::move(options), shutdown_)),
        errors_(options_.max_n, options_.max_line, options_.idle_timeout, options_.line_timeout),
        gil_(make_gil(options_)),
        policy_(io_.get_executor(), options_.pool),
        acceptor_(io_),
        http_acceptor_(io_),
        accept_pause_(io_),
        http_accept_pause_(io_),
        grace_timer_(io_),
        publish_timer_(io_),
        dispatcher_(policy_),
        connections_(counters_),
        ctx_{dispatcher_, options_, errors_, counters_, connections_, gil_.get()},
        info_{version, Policy::name, to_string(options_.pool.work),
              Policy::name == to_string(executor_kind::inline_) ? stats_source::loop
                                                                : stats_source::pool},
        http_ctx_{ctx_, shutting_down_, info_} {
    const std::size_t files = raise_open_file_limit();
    if (files < options_.max_connections + 64) {
      fmt::print(stderr,
                 "primeloop-server: warning: only {} open files allowed; --max-connections {} "
                 "will be limited by it\n",
                 files, options_.max_connections);
    }
    open_acceptor(acceptor_, options_.port);
    if (options_.http_port) open_acceptor(http_acceptor_, *options_.http_port);
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Serves until SIGINT/SIGTERM, then shuts down within --grace; returns the exit status.
  int run() {
    // IPv6 addresses in brackets ("[::1]:25000"), so the port is not read as part of them.
    const auto host = [](const net::ip::address& a) {
      return a.is_v6() ? fmt::format("[{}]", a.to_string()) : a.to_string();
    };
    const auto ep = acceptor_.local_endpoint();
    const auto st = policy_.stats();
    fmt::print("listening on {}:{} executor={} workers={} workload={} max-n={}{}\n",
               host(ep.address()), ep.port(), Policy::name, st.workers,
               to_string(options_.pool.work), options_.max_n, gil_description());
    if (http_acceptor_.is_open()) {
      const auto hep = http_acceptor_.local_endpoint();
      fmt::print("http listening on {}:{}\n", host(hep.address()), hep.port());
    }
    std::fflush(stdout);

    start_accept(acceptor_, accept_pause_, false);
    if (http_acceptor_.is_open()) start_accept(http_acceptor_, http_accept_pause_, true);
    publish_stats();
    const auto source =
        Policy::name == to_string(executor_kind::inline_) ? stats_source::loop : stats_source::pool;
    printer_.emplace(counters_, options_.stats_interval, source);
    signal_watcher watcher(shutdown_, [this](int sig, int count) { on_signal(sig, count); });
    io_.run();
    printer_.reset();
    policy_.stop();
    return 0;  // a failure to start throws; a second signal exits from the watcher
  }

 private:
  /// The options, with the flag the signal watcher sets handed to the policy.
  static server_options watched(server_options options, const executors::shutdown_flag& flag) {
    options.pool.shutdown = &flag;
    return options;
  }

  /// The interpreter-lock model when --gil asks for it: one lock for the loop and the pool.
  static std::unique_ptr<executors::gil> make_gil(server_options& options) {
    if (!options.gil) return nullptr;
    auto lock = std::make_unique<executors::gil>(options.switch_interval);
    options.pool.lock = lock.get();
    return lock;
  }

  /// " gil=<interval>s" for the first line when --gil is on, else nothing.
  std::string gil_description() const {
    if (!gil_) return {};
    return fmt::format(" gil={}s", std::chrono::duration<double>(gil_->interval()).count());
  }

  void open_acceptor(tcp::acceptor& acceptor, std::uint16_t port) {
    asio::error_code ec;
    const auto address = asio::ip::make_address(options_.bind, ec);
    if (ec)
      throw std::runtime_error(
          fmt::format("cannot bind: '{}' is not an IP address", options_.bind));
    const tcp::endpoint ep{address, port};
    const auto fail = [&](std::string_view step) {
      return std::runtime_error(
          fmt::format("cannot {} {}:{}: {}", step, options_.bind, port, ec.message()));
    };
    if (acceptor.open(ep.protocol(), ec); ec) throw fail("open a socket for");
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (acceptor.bind(ep, ec); ec) throw fail("bind");
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) throw fail("listen on");
  }

  /// Accepts on the line port (http false) or the HTTP port; both share --max-connections.
  void start_accept(tcp::acceptor& acceptor, asio::steady_timer& pause, bool http) {
    acceptor.async_accept([this, &acceptor, &pause, http](asio::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!acceptor.is_open()) {
        // Accepted just before the listener closed: served (and drained) like the others.
        if (!ec) serve(std::move(socket), http);
        return;
      }
      if (ec) {
        // Out of descriptors (EMFILE/ENFILE) or a passing error: retrying at once would spin
        // the loop at 100% CPU, so pause accepting briefly; the loop keeps serving.
        if (!warned_accept_) {
          fmt::print(stderr, "primeloop-server: accept failed: {}; pausing accepts\n",
                     ec.message());
          warned_accept_ = true;
        }
        pause.expires_after(std::chrono::milliseconds(50));
        pause.async_wait([this, &acceptor, &pause, http](asio::error_code wait_ec) {
          if (!wait_ec) start_accept(acceptor, pause, http);
        });
        return;
      }
      warned_accept_ = false;
      serve(std::move(socket), http);
      start_accept(acceptor, pause, http);
    });
  }

  /// Serves one accepted connection, or refuses it past --max-connections.
  void serve(tcp::socket socket, bool http) {
    asio::error_code ec;
    if (connections_.size() >= options_.max_connections) {
      refuse(std::move(socket), http);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // A fixed send buffer: the kernel would grow it to megabytes for a client that never
    // reads, and the server would go on reading and computing for it all that time.
    if (options_.send_buffer > 0) {
      socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(options_.send_buffer)),
                        ec);
    }
    // co_spawn dispatches: on the loop thread the session starts (and joins connections_)
    // before co_spawn returns, which close_listeners relies on.
    if (http) {
      auto s = std::make_shared<http_session>(std::move(socket), http_ctx_);
      asio::co_spawn(io_, s->run(), [](std::exception_ptr e) {
        if (e) log_exception("http session", e);
      });
    } else {
      auto s = std::make_shared<session>(std::move(socket), ctx_);
      asio::co_spawn(io_, s->run(), [](std::exception_ptr e) {
        if (e) log_exception("session", e);
      });
    }
  }

  /// Before a listener closes: the connections the kernel has already completed and queued
  /// would be reset by the close, so they are accepted now and served like any other (they
  /// are drained with the rest: what they have already sent is answered).
  void accept_queued(tcp::acceptor& acceptor, bool http) {
    if (!acceptor.is_open()) return;
    asio::error_code ec;
    acceptor.non_blocking(true, ec);
    if (ec) return;
    for (;;) {
      tcp::socket socket(io_);
      acceptor.accept(socket, ec);
      if (ec) return;  // would_block: the queue is empty (or descriptors ran out)
      serve(std::move(socket), http);
    }
  }

  /// Tells a connection past --max-connections why, without keeping any state for it.
  void refuse(tcp::socket socket, bool http) {
    asio::error_code ec;
    socket.non_blocking(true, ec);
    std::string response;
    auto text = errors_[errc::too_many_connections];
    if (http) {
      http::response r;
      r.status = 503;
      r.keep_alive = false;
      r.extra_headers = "Retry-After: 1\r\n";
      http::append_response(response, r, text.substr(4));  // without "ERR "
      text = response;
    }
    socket.write_some(asio::buffer(text.data(), text.size()), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    counters_.count(errc::too_many_connections);
  }

  /// Runs on the signal watcher's thread, not the loop's: the loop may be frozen by an inline
  /// computation or waiting a whole switch interval for the --gil lock.
  void on_signal(int sig, int count) {
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

  /// The first signal: /readyz says 503 at once; the listeners close after --drain-delay.
  void begin_shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    if (options_.drain_delay.count() <= 0) {
      close_listeners();
      return;
    }
    fmt::print(stderr, "primeloop-server: not ready; listeners close in {} ms\n",
               options_.drain_delay.count());
    std::fflush(stderr);
    grace_timer_.expires_after(options_.drain_delay);
    grace_timer_.async_wait([this](asio::error_code ec) {
      if (!ec) close_listeners();
    });
  }

  /// Closes the listeners and drains every connection; work in flight has --grace to finish.
  void close_listeners() {
    listeners_closed_ = true;
    if (printer_) printer_->stop();  // the last stats line comes before "shutting down"
    accept_queued(acceptor_, false);
    accept_queued(http_acceptor_, true);
    const auto open = connections_.size();
    fmt::print(stderr, "primeloop-server: shutting down ({} connection{}, grace {} ms)\n", open,
               open == 1 ? "" : "s", options_.grace.count());
    std::fflush(stderr);
    asio::error_code ec;
    acceptor_.close(ec);
    http_acceptor_.close(ec);
    accept_pause_.cancel();
    http_accept_pause_.cancel();
    publish_timer_.cancel();
    grace_timer_.expires_after(options_.grace);
    grace_timer_.async_wait([this](asio::error_code wait_ec) {
      if (wait_ec) return;
      // Past the grace: whatever still computes gets ERR shutting down, which the sessions
      // write before closing. A client that does not read gets a little longer, then is cut.
      policy_.abort_all(errc::shutting_down);
      grace_timer_.expires_after(std::chrono::milliseconds(500));
      grace_timer_.async_wait([this](asio::error_code again) {
        if (again) return;
        connections_.close_all();
      });
    });
    connections_.drain_all([this] { on_all_closed(); });
  }

  /// Every connection has closed. A connection the listener accepted just before it closed may
  /// still have its accept handler queued: the loop ends only once that one has run too.
  void on_all_closed() {
    asio::post(io_, [this] {
      if (connections_.size() == 0) {
        finish();
      } else {
        connections_.drain_all([this] { on_all_closed(); });
      }
    });
  }

  /// Ends the loop once shutting down and every connection has closed.
  void finish() {
    grace_timer_.cancel();
    policy_.stop();
    io_.stop();
  }

  /// Copies the pool's counters where the stats thread can read them.
  void publish_stats() {
    const auto st = policy_.stats();
    counters_.queued.store(st.queued, std::memory_order_relaxed);
    counters_.busy.store(st.busy, std::memory_order_relaxed);
    counters_.workers.store(st.workers, std::memory_order_relaxed);
    counters_.crashes.store(st.crashes, std::memory_order_relaxed);
    counters_.kills.store(st.cancel_kills, std::memory_order_relaxed);
    if (listeners_closed_) return;
    publish_timer_.expires_after(std::chrono::milliseconds(100));
    publish_timer_.async_wait([this](asio::error_code ec) {
      if (!ec) publish_stats();
    });
  }

  // Before anything that may start a thread: every thread inherits the blocked signals, and only
  // the signal watcher takes them.
  termination_signals_blocked signals_blocked_;
  executors::shutdown_flag shutdown_;
  server_options options_;
  asio::io_context io_{1};
  protocol::error_lines errors_;
  stats_counters counters_;
  std::unique_ptr<executors::gil> gil_;  // before policy_: outlives the pool's threads
  Policy policy_;
  tcp::acceptor acceptor_;
  tcp::acceptor http_acceptor_;  // open only with --http-port
  asio::steady_timer accept_pause_;
  asio::steady_timer http_accept_pause_;
  asio::steady_timer grace_timer_;
  asio::steady_timer publish_timer_;
  policy_dispatcher<Policy> dispatcher_;
  connection_manager connections_;
  session_context ctx_;
  bool shutting_down_ = false;  // before http_ctx_, which refers to it
  metrics_info info_;
  http_context http_ctx_;
  std::optional<stats_printer> printer_;  // from run() until shutdown begins
  bool listeners_closed_ = false;
  bool warned_accept_ = false;
};

}  // namespace primeloop
