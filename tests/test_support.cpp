#include "test_support.hpp"

#include "benchmarks/harness/listening_line.hpp"
#include "benchmarks/harness/spawn.hpp"

#include <fmt/format.h>
#include <cstdlib>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace primeloop::test {
namespace {

using clock = std::chrono::steady_clock;

using harness::throw_errno;

/// Waits until fd is readable or the deadline passes; true when readable.
bool wait_readable(int fd, clock::time_point until) {
  for (;;) {
    // A deadline already past still looks once: read_line(0ms) takes what has arrived.
    const auto left = std::max<long long>(
        0, std::chrono::duration_cast<milliseconds>(until - clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) throw_errno("poll");
    if (r == 0 && left == 0) return false;
  }
}

/// Reads one line from fd into pending/out; nullopt on EOF or deadline.
std::optional<std::string> read_line_from(int fd, std::string& pending, milliseconds deadline) {
  const auto until = clock::now() + deadline;
  for (;;) {
    if (const auto nl = pending.find('\n'); nl != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      return line;
    }
    if (!wait_readable(fd, until)) return std::nullopt;
    char buf[4096];
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return std::nullopt;
    pending.append(buf, static_cast<std::size_t>(r));
  }
}

}  // namespace

std::string bin(std::string_view name) {
  return std::string(PRIMELOOP_BIN_DIR) + "/" + std::string(name);
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  return lines;
}

struct child_process::output {
  explicit output(int pipe) : fd(pipe), reader([this] { read_until_closed(); }) {}
  ~output() {
    stop = true;
    reader.join();
    ::close(fd);
  }
  output(const output&) = delete;
  output& operator=(const output&) = delete;

  /// The reader thread: everything the child prints, as it comes. It looks at `stop` every
  /// 50 ms, so that a grandchild still holding the pipe open cannot keep it (and the test) alive.
  void read_until_closed() {
    char buf[4096];
    while (!stop) {
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, 50);
      if (r < 0 && errno != EINTR) break;
      if (r <= 0) continue;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      const std::lock_guard lock(mutex);
      if (n <= 0) {
        closed = true;
        arrived.notify_all();
        return;
      }
      received.append(buf, static_cast<std::size_t>(n));
      arrived.notify_all();
    }
    const std::lock_guard lock(mutex);
    closed = true;
    arrived.notify_all();
  }

  /// The next whole line, or nullopt once the deadline has passed or the pipe closed.
  std::optional<std::string> next_line(milliseconds deadline) {
    std::unique_lock lock(mutex);
    std::size_t nl = std::string::npos;
    arrived.wait_for(lock, deadline,
                     [&] { return (nl = received.find('\n')) != std::string::npos || closed; });
    if (nl == std::string::npos) return std::nullopt;
    std::string line = received.substr(0, nl);
    received.erase(0, nl + 1);
    return line;
  }

  /// What came after the last whole line.
  std::string rest() {
    const std::lock_guard lock(mutex);
    return std::exchange(received, {});
  }

  const int fd;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable arrived;
  std::string received;  // guarded by mutex, as is closed
  bool closed = false;
  std::thread reader;  // last: it starts reading once the rest is built
};

child_process::child_process(std::vector<std::string> argv) {
  const auto child = harness::spawn(argv, {});
  pid_ = child.pid;
  out_ = std::make_unique<output>(child.output);
}

child_process::child_process(child_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      out_(std::move(other.out_)),
      lines_(std::move(other.lines_)),
      status_(other.status_) {}

child_process::~child_process() {
  if (!status_) harness::kill_and_reap(pid_);
}

std::optional<std::string> child_process::read_line(milliseconds deadline) {
  auto line = out_->next_line(deadline);
  if (line) lines_.push_back(*line);
  return line;
}

std::optional<std::string> child_process::wait_for_line(std::string_view needle,
                                                        milliseconds deadline) {
  const auto until = clock::now() + deadline;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto line = read_line(left);
    if (!line) return std::nullopt;
    if (line->find(needle) != std::string::npos) return line;
  }
}

std::string child_process::read_all(milliseconds deadline) {
  const auto until = clock::now() + deadline;
  std::string all;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - clock::now());
    if (left.count() <= 0) break;
    auto line = read_line(left);
    if (!line) break;
    all += *line;
    all += '\n';
  }
  all += out_->rest();
  return all;
}

void child_process::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> child_process::wait(milliseconds deadline) {
  if (!status_) status_ = harness::wait_exit(pid_, deadline);
  return status_;
}

server_process start_server(std::vector<std::string> flags, std::string_view program) {
  std::vector<std::string> argv{bin(program), "--port", "0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return start_listening(std::move(argv), program, /*first_line_only=*/true);
}

server_process start_listening(std::vector<std::string> argv, std::string_view program,
                               bool first_line_only) {
  server_process s{child_process(std::move(argv)), 0, {}};
  auto line = first_line_only ? s.proc.read_line() : s.proc.wait_for_line("listening on ");
  if (!line) {
    throw std::runtime_error(
        fmt::format("{} did not print 'listening on': {}", program,
                    s.proc.lines().empty() ? "(no output)" : s.proc.lines().back()));
  }
  const auto address = harness::parse_listening_line(*line);
  if (!address) throw std::runtime_error(fmt::format("unexpected first line: {}", *line));
  s.port = address->port;
  s.first_line = std::move(*line);
  return s;
}

int connect_loopback(std::uint16_t port, int receive_buffer) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  // Before connect, so that the window the handshake announces is already the small one.
  if (receive_buffer > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "connect");
  }
  return fd;
}

void reset(line_client& c) {
  const linger abort{1, 0};
  ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  c.close();
}

line_client::line_client(std::uint16_t port, int receive_buffer)
    : fd_(connect_loopback(port, receive_buffer)) {
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

line_client::~line_client() {
  close();
}

void line_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void line_client::send(std::string_view bytes) const {
  while (!bytes.empty()) {
    const ssize_t w = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw_errno("send");
    bytes.remove_prefix(static_cast<std::size_t>(w));
  }
}

std::optional<std::string> line_client::read_line(milliseconds deadline) {
  return read_line_from(fd_, pending_, deadline);
}

bool line_client::wait_closed(milliseconds deadline) {
  const auto until = clock::now() + deadline;
  for (;;) {
    if (!wait_readable(fd_, until)) return false;
    char buf[4096];
    const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r == 0) return true;
    if (r < 0 && errno == ECONNRESET) return true;
    if (r < 0 && errno != EINTR && errno != EAGAIN) throw_errno("recv");
  }
}

bool line_client::ended_now() const {
  if (!pending_.empty()) return false;
  char byte;
  const ssize_t r = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void line_client::shutdown_send() const {
  ::shutdown(fd_, SHUT_WR);
}

std::optional<std::string> ask(std::uint16_t port, std::string_view line) {
  line_client c(port);
  c.send(line);
  return c.read_line();
}

std::vector<std::string> replies(std::uint16_t port, std::string_view bytes, std::size_t count) {
  line_client c(port);
  c.send(bytes);
  std::vector<std::string> got;
  while (got.size() < count) {
    auto line = c.read_line();
    if (!line) break;
    got.push_back(std::move(*line));
  }
  return got;
}

std::vector<std::string> replies_to_half_close(std::uint16_t port, std::string_view bytes) {
  line_client c(port);
  c.send(bytes);
  c.shutdown_send();
  std::vector<std::string> got;
  while (auto line = c.read_line()) got.push_back(std::move(*line));
  if (!c.wait_closed(0ms)) got.emplace_back("(left open)");
  return got;
}

std::string refusal(line_client& c) {
  const auto line = c.read_line();
  if (!line) return "(no line)";
  return c.wait_closed() ? *line : "(left open) " + *line;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

double json_number(const std::string& line, const std::string& key, const std::string& object) {
  std::size_t from = 0;
  if (!object.empty()) {
    from = line.find("\"" + object + "\":{");
    if (from == std::string::npos) return -1;
  }
  const auto at = line.find("\"" + key + "\":", from);
  if (at == std::string::npos) return -1;
  const char* begin = line.c_str() + at + key.size() + 3;
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  return end == begin ? -1 : v;
}

}  // namespace primeloop::test
