#include "benchmarks/harness/server_child.hpp"

#include <algorithm>

#include "benchmarks/harness/listening_line.hpp"
#include "benchmarks/harness/proc_stat.hpp"
#include "benchmarks/harness/spawn.hpp"
#include "benchmarks/harness/stats_lag.hpp"
#include "clients/connect.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace primeloop::harness {
namespace {

namespace net = asio;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using clients::use_tuple;
/// A server's log is for reading: past this size the rest of its output is dropped.
constexpr std::size_t max_log_bytes = 4 << 20;

/// Waits for the process to end; true when reaped, with its exit status in status.
net::awaitable<bool> reap(pid_t pid, int& status, clock::time_point until) {
  // Polled with a back-off on a timer: no descriptor announces another process's end.
  net::steady_timer timer(co_await net::this_coro::executor);
  for (auto pause = 1ms;; pause = std::min(pause * 2, std::chrono::milliseconds{20})) {
    if (auto st = harness::try_reap(pid)) {
      status = *st;
      co_return true;
    }
    if (clock::now() >= until) co_return false;
    timer.expires_after(pause);
    co_await timer.async_wait(use_tuple);
  }
}

}  // namespace

/// The pipe from the child, with what was read but not yet written to the log.
struct server_child::output {
  output(const net::any_io_executor& ex, int fd, const std::string& log_path)
      : pipe(ex, fd), log(log_path) {}
  net::posix::stream_descriptor pipe;
  std::string pending;
  std::ofstream log;
  std::size_t logged = 0;
  std::string line;  // the line being read, for its stats (lag)
  std::optional<std::chrono::nanoseconds> worst_lag;
  /// Reads the lag of each whole line in data.
  void scan(std::string_view data) {
    for (const char c : data) {
      if (c != '\n') {
        if (line.size() < 4096) line += c;
        continue;
      }
      if (const auto lag = harness::parse_stats_lag(line)) {
        worst_lag = worst_lag ? std::max(*worst_lag, *lag) : *lag;
      }
      line.clear();
    }
  }
};

std::optional<std::chrono::nanoseconds> server_child::worst_lag() const {
  return out_ ? out_->worst_lag : std::nullopt;
}

void server_child::reset_lag() {
  if (out_) out_->worst_lag.reset();
}

std::string stop_outcome::describe() const {
  std::string s = killed ? fmt::format("killed: no exit {} ms after SIGTERM", took.count())
                         : fmt::format("exit {} in {} ms", exit_status, took.count());
  if (left_behind) s += " (left processes behind: killed)";
  return s;
}

server_child::server_child(const net::any_io_executor& ex, std::vector<std::string> argv,
                           const std::string& log_path)
    : ex_(ex),
      argv_(std::move(argv)),
      wants_http_(std::find(argv_.begin(), argv_.end(), "--http-port") != argv_.end()) {
  // Its own process group, so the lab can end the server and any worker it forked at once;
  // and death with the lab, so a crashed lab leaves no server behind.
  const auto child = harness::spawn(argv_, {.own_process_group = true, .die_with_parent = true});
  pid_ = child.pid;
  try {
    out_ = std::make_shared<output>(ex_, child.output, log_path);
  } catch (...) {
    ::close(child.output);
    harness::kill_and_reap(pid_, true);
    throw;
  }
  if (!out_->log) {
    harness::kill_and_reap(pid_, true);
    reaped_ = true;
    throw std::runtime_error(fmt::format("cannot write the server's log {}", log_path));
  }
}

server_child::~server_child() {
  if (!reaped_) harness::kill_and_reap(pid_, true);
  if (out_) {
    std::error_code ignored;
    out_->pipe.close(ignored);
  }
}

net::awaitable<void> server_child::wait_listening(std::chrono::milliseconds deadline) {
  using namespace net::experimental::awaitable_operators;
  net::steady_timer timer(ex_, deadline);
  std::string before;  // what it printed before the line, for the error message
  for (;;) {
    auto r = co_await (
        net::async_read_until(out_->pipe, net::dynamic_buffer(out_->pending), '\n', use_tuple) ||
        timer.async_wait(net::use_awaitable));
    if (r.index() == 1) {
      throw std::runtime_error(fmt::format("{} did not print 'listening on' within {} ms{}{}",
                                           argv_.at(0), deadline.count(),
                                           before.empty() ? "" : ": ", before));
    }
    auto [ec, len] = std::get<0>(r);
    if (ec) {
      before += out_->pending;
      throw std::runtime_error(fmt::format("{} exited before listening: {}", argv_.at(0),
                                           before.empty() ? std::string("(no output)") : before));
    }
    std::string line = out_->pending.substr(0, len - 1);
    out_->pending.erase(0, len);
    out_->log << line << '\n';
    if (port_ != 0 && line.starts_with("http listening on ")) {
      const auto address = harness::parse_listening_line(std::string_view(line).substr(5));
      if (!address) {
        throw std::runtime_error(
            fmt::format("no port in the http line of {}: '{}'", argv_.at(0), line));
      }
      http_port_ = address->port;
      break;
    }
    if (port_ != 0 || !line.starts_with("listening on ")) {  // warnings: kept for the error
      before += line + "\n";
      continue;
    }
    const auto address = harness::parse_listening_line(line);
    if (!address) {
      throw std::runtime_error(
          fmt::format("no port in the first line of {}: '{}'", argv_.at(0), line));
    }
    port_ = address->port;
    first_line_ = std::move(line);
    if (!wants_http_) break;
  }
  // From now on the output only goes to the log; the copy ends at end of output (when the
  // whole process group is gone) or when stop() closes the pipe.
  net::co_spawn(
      ex_,
      [](std::shared_ptr<output> out) -> net::awaitable<void> {
        char buf[4096];
        for (;;) {
          auto [ec, n] = co_await out->pipe.async_read_some(net::buffer(buf), use_tuple);
          if (ec) co_return;
          out->scan(std::string_view(buf, n));
          // Keep reading past the cap: a server blocked on a full pipe would stall the run.
          if (out->logged < max_log_bytes) {
            out->log.write(buf, static_cast<std::streamsize>(n));
            out->logged += n;
            if (out->logged >= max_log_bytes) {
              out->log << fmt::format("\n[primeloop-lab: log cut at {} bytes]\n", max_log_bytes);
            }
            out->log.flush();
          }
        }
      }(out_),
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
}

net::awaitable<stop_outcome> server_child::stop(std::chrono::milliseconds grace) {
  stop_outcome outcome;
  if (reaped_) co_return outcome;
  const auto start = clock::now();
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (!co_await reap(pid_, status, start + grace)) {
    outcome.killed = true;
    ::kill(-pid_, SIGKILL);
    co_await reap(pid_, status, clock::time_point::max());
  }
  reaped_ = true;
  outcome.exit_status = status;
  // Workers the server forked should be gone with it; give them a moment to finish exiting.
  net::steady_timer timer(ex_);
  for (int i = 0; i < 50 && !harness::living_group_members(pid_).empty(); ++i) {
    timer.expires_after(10ms);
    co_await timer.async_wait(use_tuple);
  }
  if (!harness::living_group_members(pid_).empty()) {
    outcome.left_behind = true;
    ::kill(-pid_, SIGKILL);
  }
  outcome.took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
  std::error_code ignored;
  out_->pipe.close(ignored);
  co_return outcome;
}

}  // namespace primeloop::harness
