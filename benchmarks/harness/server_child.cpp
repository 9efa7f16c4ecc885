#include "benchmarks/harness/server_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace primeloop::lab {
namespace {

namespace net = asio;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
constexpr auto use_tuple = net::experimental::as_tuple(net::use_awaitable);
/// A server's log is for reading: past this size the rest of its output is dropped.
constexpr std::size_t max_log_bytes = 4 << 20;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// Waits for the process to end, polling waitpid: no descriptor announces it. True when reaped.
net::awaitable<bool> reap(pid_t pid, int& status, clock::time_point until) {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (auto pause = 1ms;; pause = std::min(pause * 2, std::chrono::milliseconds{20})) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) co_return true;
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
};

std::string stop_outcome::describe() const {
  std::string s = killed ? fmt::format("killed: no exit {} ms after SIGTERM", took.count())
                         : fmt::format("exit {} in {} ms", exit_status, took.count());
  if (left_behind) s += " (left processes behind: killed)";
  return s;
}

std::vector<pid_t> living_group_members(pid_t pgid) {
  std::vector<pid_t> members;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // Fields after the command (which may hold spaces, hence the last ')'): state ppid pgrp.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') {
      members.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return members;
}

server_child::server_child(const net::any_io_executor& ex, std::vector<std::string> argv,
                           const std::string& log_path)
    : ex_(ex), path_(argv.at(0)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw_errno("fork");
  if (pid_ == 0) {
    // Its own process group, so the lab can end the server and any worker it forked at once;
    // and death with the lab, so a crashed lab leaves no server behind.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    const auto msg = fmt::format("cannot run {}: {}\n", argv[0], std::strerror(errno));
    [[maybe_unused]] auto w = ::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also here: whichever of parent and child runs first, it is done
  ::close(fds[1]);
  out_ = std::make_shared<output>(ex_, fds[0], log_path);
}

server_child::~server_child() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
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
                                           path_, deadline.count(), before.empty() ? "" : ": ",
                                           before));
    }
    auto [ec, len] = std::get<0>(r);
    if (ec) {
      before += out_->pending;
      throw std::runtime_error(fmt::format("{} exited before listening: {}", path_,
                                           before.empty() ? std::string("(no output)") : before));
    }
    std::string line = out_->pending.substr(0, len - 1);
    out_->pending.erase(0, len);
    out_->log << line << '\n';
    if (!line.starts_with("listening on ")) {
      before += line + "\n";
      continue;
    }
    const auto colon = line.find(':', 13);
    const auto end = line.find(' ', 13);
    try {
      port_ = static_cast<std::uint16_t>(std::stoul(line.substr(colon + 1, end - colon - 1)));
    } catch (const std::exception&) {
      throw std::runtime_error(fmt::format("no port in the first line of {}: '{}'", path_, line));
    }
    first_line_ = std::move(line);
    break;
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
  outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // Workers the server forked should be gone with it; give them a moment to finish exiting.
  net::steady_timer timer(ex_);
  for (int i = 0; i < 50 && !living_group_members(pid_).empty(); ++i) {
    timer.expires_after(10ms);
    co_await timer.async_wait(use_tuple);
  }
  if (!living_group_members(pid_).empty()) {
    outcome.left_behind = true;
    ::kill(-pid_, SIGKILL);
  }
  outcome.took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
  std::error_code ignored;
  out_->pipe.close(ignored);
  co_return outcome;
}

}  // namespace primeloop::lab
