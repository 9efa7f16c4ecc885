#pragma once
// What the limit tests share: the error texts clients read, a launcher for the server, /proc
// readers, socket helpers that never block, and the protocol's table of bad inputs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace primeloop::test::limits {

using clock = std::chrono::steady_clock;

inline const std::vector<std::string> all_executors{"inline", "threads", "processes"};

// The reasons clients read; the full texts are in server/errc.cpp and docs/protocol.md.
inline const std::string err_empty = "ERR empty line";
inline const std::string err_nan = "ERR not a number";
inline const std::string err_not_positive = "ERR n must be a whole number of at least 1";
inline const std::string err_busy = "ERR busy";
inline const std::string err_idle = "ERR idle timeout";

[[nodiscard]] bool starts_with(const std::optional<std::string>& s, std::string_view prefix);

/// Starts primeloop-server (port 0) behind a launcher such as prlimit, and waits for its
/// "listening on" line; what it printed before (warnings) stays in proc.lines().
server_process start_server_via(std::vector<std::string> launcher,
                                const std::vector<std::string>& flags);

/// CPU time (user + system) a process has used, in clock ticks.
long cpu_ticks(pid_t pid);

/// Resident memory of a process in KiB.
std::size_t rss_kib(pid_t pid);

/// Descriptors a process has open below `limit`. Those at or above it (a test runner may pass
/// some down, e.g. fd 251) take no room under RLIMIT_NOFILE, which bounds descriptor numbers.
std::size_t open_fds_below(pid_t pid, int limit);

/// The number after `key ` in a stats line ("in-flight 4 queued 3 ..."), or -1.
long stats_field(const std::string& line, std::string_view key);

/// Sends what the socket takes now, without blocking; returns the bytes taken. Stops at a full
/// buffer and at an error (a reset by the server is expected in some tests).
std::size_t send_some(int fd, std::string_view bytes);

/// Sends bytes while reading the replies, so that neither side waits on a full buffer, until
/// `count` lines came back or the deadline passed. Returns the lines.
std::vector<std::string> exchange(int fd, std::string_view bytes, std::size_t count,
                                  milliseconds deadline = default_deadline);

/// Polls a client for `deadline`; true when the server sent nothing (and did not close). The
/// wait is the point: it is how long the server is given to misbehave.
bool stays_silent(const line_client& c, milliseconds deadline);

using test::reset;

/// The first `count` primes, for checking answers.
std::vector<std::uint64_t> first_primes(std::size_t count);

/// A socket connected to the server, nothing more: for holding many connections cheaply.
class raw_connection {
 public:
  explicit raw_connection(std::uint16_t port) : fd_(connect_loopback(port)) {}
  ~raw_connection() { ::close(fd_); }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

/// Raises this process's soft limit on open files to at least `want` (up to the hard limit);
/// returns the soft limit now in force.
rlim_t raise_own_file_limit(rlim_t want);

/// One line of bad input and the start of the reply it must get.
struct bad_input {
  std::string what;
  std::string bytes;
  std::string reply;
};

std::vector<bad_input> bad_inputs(const std::string& too_large);

}  // namespace primeloop::test::limits
