#pragma once
/// What end-to-end tests share: child processes with captured output, and a blocking loopback
/// client. Every wait has a deadline; nothing sleeps for a fixed time.
#include <poll.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace primeloop::test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// A deadline generous enough for a loaded 2-core machine under sanitizers.
inline constexpr milliseconds default_deadline{20'000};
/// How long a test waits for the answer to a computation of seconds (naive n = 10000 or 20000):
/// as long as a loaded 2-core machine or a sanitizer build may take (n = 20000 took 24 s at load
/// 11 in a release build, 40 s under ASan). What such a test checks is what happens meanwhile
/// or after, not how soon the answer comes.
inline constexpr milliseconds computation_deadline{120'000};

/// Sleeps between two looks at a state, 1 ms at first, doubling up to 20 ms: a state that
/// holds at once costs little, one that takes seconds costs few looks.
class back_off {
 public:
  void operator()() {
    ::poll(nullptr, 0, static_cast<int>(pause_.count()));
    pause_ = std::min(pause_ * 2, milliseconds{20});
  }

 private:
  milliseconds pause_{1};
};

/// Calls pred until it returns true or the deadline passes; between two calls, between().
/// The one way tests wait by looking: for states that no descriptor announces (a process gone,
/// a CPU counter at rest, a pool's result) there is nothing else to wait on, and the deadline
/// bounds it. between defaults to back_off; running(io) drives a loop instead.
template <class Pred, class Between = back_off>
bool eventually(Pred pred, milliseconds deadline = default_deadline, Between between = {}) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    between();
  }
}

/// eventually()'s `between` for a test that owns an io_context (or any loop with stopped(),
/// restart() and run_for()): runs the loop for up to 5 ms, and backs off when it had nothing
/// to run, so that results posted to the loop are handled between two looks.
template <class Loop>
auto running(Loop& io) {
  return [&io, pause = back_off{}]() mutable {
    if (io.stopped()) io.restart();
    if (io.run_for(milliseconds{5}) == 0) pause();
  };
}

/// Path of a built executable (build/bin/<name>).
[[nodiscard]] std::string bin(std::string_view name);

/// The lines of a text file (without '\n'); none when it cannot be read.
[[nodiscard]] std::vector<std::string> read_lines(const std::string& path);

/// A child process started with execv; its stdout and stderr come back through one pipe, which
/// a thread of the test reads all the time: a child that prints while the test waits on
/// something else (a server's stats lines, 50 a second with --stats-interval 0.02) never blocks
/// on a full pipe (the server's loop would then stand still, and the test wait for it).
class child_process {
 public:
  explicit child_process(std::vector<std::string> argv);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  child_process(child_process&& other) noexcept;

  /// The next line of output (without '\n'), or nullopt at end of output or at the deadline.
  [[nodiscard]] std::optional<std::string> read_line(milliseconds deadline = default_deadline);
  /// Reads lines until one contains needle; returns it, or nullopt.
  [[nodiscard]] std::optional<std::string> wait_for_line(std::string_view needle,
                                                         milliseconds deadline = default_deadline);
  /// Everything printed until the process closes its output, or until the deadline.
  [[nodiscard]] std::string read_all(milliseconds deadline = default_deadline);
  /// Lines already read, all of them.
  [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }

  void signal(int sig) const;
  /// The exit status (WEXITSTATUS, or 128 + signal), or nullopt at the deadline.
  [[nodiscard]] std::optional<int> wait(milliseconds deadline = default_deadline);
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  struct output;  // the pipe, its reader thread and what it has read so far
  pid_t pid_ = -1;
  std::unique_ptr<output> out_;
  std::vector<std::string> lines_;
  std::optional<int> status_;
};

/// primeloop-server started on 127.0.0.1 port 0; the port is read from its first line.
struct server_process {
  child_process proc;
  std::uint16_t port = 0;
  std::string first_line;
};
/// Starts primeloop-server (or another server of the project speaking its protocol) with the
/// given flags (plus --port 0) and waits for "listening on".
[[nodiscard]] server_process start_server(std::vector<std::string> flags,
                                          std::string_view program = "primeloop-server");
/// Starts argv (a server, or a launcher such as prlimit in front of one) and reads its port from
/// its "listening on" line: the first line, or with first_line_only = false the first such
/// line (warnings before it stay in proc.lines()). Throws std::runtime_error when none comes.
[[nodiscard]] server_process start_listening(std::vector<std::string> argv,
                                             std::string_view program, bool first_line_only);

/// A blocking TCP client on 127.0.0.1 with deadlines on every read.
class line_client {
 public:
  /// receive_buffer > 0: SO_RCVBUF, set before connecting (a client whose window fills fast).
  explicit line_client(std::uint16_t port, int receive_buffer = 0);
  ~line_client();
  line_client(const line_client&) = delete;
  line_client& operator=(const line_client&) = delete;

  void send(std::string_view bytes) const;
  /// The next line (without '\n'), or nullopt on close or at the deadline.
  [[nodiscard]] std::optional<std::string> read_line(milliseconds deadline = default_deadline);
  /// True when the server closed the connection before the deadline (pending data is dropped).
  [[nodiscard]] bool wait_closed(milliseconds deadline = default_deadline);
  /// True when the server has ended the stream (or reset it) and nothing unread is left: a look
  /// that never waits.
  [[nodiscard]] bool ended_now() const;
  /// Shuts down the sending side (the server sees end of stream).
  void shutdown_send() const;
  void close();
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string pending_;
};

/// Closes a client with a reset (SO_LINGER 0), as a crashed or killed client does: the server
/// reads ECONNRESET and cancels the connection's work (end of stream alone may be a half-close).
void reset(line_client& c);

/// A TCP socket connected to 127.0.0.1:port (close-on-exec), with SO_RCVBUF receive_buffer
/// when it is > 0. Throws std::system_error.
[[nodiscard]] int connect_loopback(std::uint16_t port, int receive_buffer = 0);

/// How many times needle occurs in text (overlapping occurrences too).
[[nodiscard]] std::size_t count(const std::string& text, const std::string& needle);

/// Sends one line and returns the reply line.
[[nodiscard]] std::optional<std::string> ask(std::uint16_t port, std::string_view line);

/// Sends `bytes` on a new connection and reads `count` reply lines: fewer when the connection
/// closes or a read's deadline passes first.
[[nodiscard]] std::vector<std::string> replies(std::uint16_t port, std::string_view bytes,
                                               std::size_t count);

/// Sends `bytes` on a new connection, half-closes it (the server reads end of stream) and reads
/// every reply until the server closes its side too; "(left open)" last when it does not.
[[nodiscard]] std::vector<std::string> replies_to_half_close(std::uint16_t port,
                                                             std::string_view bytes);

/// The line a server sends before it closes the connection: the reason it gives for a refusal.
/// "(no line)" when none comes, and "(left open) " before the line when the connection stays
/// open, so that a check on how it starts fails and shows why.
[[nodiscard]] std::string refusal(line_client& c);

/// The number after "key": inside the JSON object named object (or at the top level when
/// object is empty), or -1 when it is missing or not a number.
[[nodiscard]] double json_number(const std::string& line, const std::string& key,
                                 const std::string& object = "");

}  // namespace primeloop::test
