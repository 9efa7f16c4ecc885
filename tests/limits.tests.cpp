// Bad input and overload (docs/protocol.md), end to end: the real primeloop-server on
// 127.0.0.1 port 0. Every bad input of the protocol's table and every limit, each time checking
// that another client is still served. Waits are on events (a reply, a stats line, a closed
// socket, a full socket buffer), each with a deadline; nothing sleeps for a fixed time.
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

using namespace primeloop::test;

namespace {

using clock = std::chrono::steady_clock;

const std::vector<std::string> all_executors{"inline", "threads", "processes"};

// The reasons clients read; the full texts are in server/errc.cpp and docs/protocol.md.
const std::string err_empty = "ERR empty line";
const std::string err_nan = "ERR not a number";
const std::string err_not_positive = "ERR n must be a whole number of at least 1";
const std::string err_busy = "ERR busy";
const std::string err_idle = "ERR idle timeout";

[[nodiscard]] bool starts_with(const std::optional<std::string>& s, std::string_view prefix) {
  return s && s->rfind(prefix, 0) == 0;
}

/// Starts primeloop-server (port 0) behind a launcher such as prlimit, and waits for its
/// "listening on" line; what it printed before (warnings) stays in proc.lines().
server_process start_server_via(std::vector<std::string> launcher,
                                const std::vector<std::string>& flags) {
  std::vector<std::string> argv = std::move(launcher);
  argv.insert(argv.end(), {bin("primeloop-server"), "--port", "0"});
  argv.insert(argv.end(), flags.begin(), flags.end());
  server_process s{child_process(std::move(argv)), 0, {}};
  const auto line = s.proc.wait_for_line("listening on ");
  if (!line) throw std::runtime_error("primeloop-server did not start");
  s.first_line = *line;
  s.port = static_cast<std::uint16_t>(std::stoul(line->substr(line->find(':') + 1)));
  return s;
}

/// CPU time (user + system) a process has used, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(f, stat);
  // The command name is in parentheses and may hold spaces: count fields after it. The first
  // one after it is field 3 (state); utime and stime are fields 14 and 15.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stol(field);
  }
  return ticks;
}

/// Resident memory of a process in KiB.
std::size_t rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

/// Descriptors a process has open below `limit`. Those at or above it (a test runner may pass
/// some down, e.g. fd 251) take no room under RLIMIT_NOFILE, which bounds descriptor numbers.
std::size_t open_fds_below(pid_t pid, int limit) {
  std::size_t n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    n += std::stoi(e.path().filename().string()) < limit ? 1U : 0U;
  }
  return n;
}

/// The number after `key ` in a stats line ("in-flight 4 queued 3 ..."), or -1.
long stats_field(const std::string& line, std::string_view key) {
  const auto at = line.find(std::string(key) + " ");
  return at == std::string::npos ? -1 : std::stol(line.substr(at + key.size() + 1));
}

/// Sends what the socket takes now, without blocking; returns the bytes taken. Stops at a full
/// buffer and at an error (a reset by the server is expected in some tests).
std::size_t send_some(int fd, std::string_view bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t w =
        ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    sent += static_cast<std::size_t>(w);
  }
  return sent;
}

/// Sends bytes while reading the replies, so that neither side waits on a full buffer, until
/// `count` lines came back or the deadline passed. Returns the lines.
std::vector<std::string> exchange(int fd, std::string_view bytes, std::size_t count,
                                  milliseconds deadline = default_deadline) {
  const auto until = clock::now() + deadline;
  std::vector<std::string> lines;
  std::string pending;
  while (lines.size() < count) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, static_cast<short>(POLLIN | (bytes.empty() ? 0 : POLLOUT)), 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    if ((p.revents & POLLOUT) != 0) bytes.remove_prefix(send_some(fd, bytes));
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buf[65536];
      const ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) break;
      if (r < 0) continue;
      pending.append(buf, static_cast<std::size_t>(r));
      std::size_t from = 0;
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', from)) {
        lines.emplace_back(pending, from, nl - from);
        from = nl + 1;
      }
      pending.erase(0, from);
    }
  }
  return lines;
}

/// Polls a client for `deadline`; true when the server sent nothing (and did not close). The
/// wait is the point: it is how long the server is given to misbehave.
bool stays_silent(const line_client& c, milliseconds deadline) {
  pollfd p{c.fd(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(deadline.count())) == 0;
}

/// Closes a client with a reset (SO_LINGER 0), as a crashed or killed client does: the server
/// reads ECONNRESET and cancels the connection's work (end of stream alone may be a half-close).
void reset(line_client& c) {
  const linger abort{1, 0};
  ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  c.close();
}

/// The first `count` primes, for checking answers.
std::vector<std::uint64_t> first_primes(std::size_t count) {
  std::vector<std::uint64_t> primes;
  for (std::uint64_t i = 2; primes.size() < count; ++i) {
    if (std::all_of(primes.begin(), primes.end(), [&](std::uint64_t p) { return i % p != 0; })) {
      primes.push_back(i);
    }
  }
  return primes;
}

/// A socket connected to the server, nothing more: for holding many connections cheaply.
class raw_connection {
 public:
  explicit raw_connection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      const int e = errno;
      ::close(fd_);
      throw std::system_error(e, std::generic_category(), "connect");
    }
  }
  ~raw_connection() { ::close(fd_); }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

/// Raises this process's soft limit on open files to at least `want` (up to the hard limit);
/// returns the soft limit now in force.
rlim_t raise_own_file_limit(rlim_t want) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < want) {
    lim.rlim_cur = std::min(want, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

/// One line of bad input and the start of the reply it must get.
struct bad_input {
  std::string what;
  std::string bytes;
  std::string reply;
};

std::vector<bad_input> bad_inputs(const std::string& too_large) {
  using namespace std::string_literals;
  return {
      {"empty line", "\n", err_empty},
      {"empty line with CR", "\r\n", err_empty},
      {"space before", " 7\n", err_nan},
      {"space after", "7 \n", err_nan},
      {"spaces around", "  7  \n", err_nan},
      {"tab before", "\t7\n", err_nan},
      {"plus sign", "+7\n", err_nan},
      {"negative", "-5\n", err_not_positive},
      {"zero", "0\n", err_not_positive},
      {"zeros", "000\n", err_not_positive},
      {"decimal point", "1.5\n", err_nan},
      {"exponent", "1e5\n", err_nan},
      {"hexadecimal", "0x10\n", err_nan},
      {"letters", "seven\n", err_nan},
      {"digits then letters", "7abc\n", err_nan},
      {"30 digits", std::string(30, '9') + "\n", too_large},
      {"2^64", "18446744073709551616\n", too_large},
      {"above --max-n", "5001\n", too_large},
      {"NUL alone", "\0\n"s, err_nan},
      {"NUL after digits", "7\0\n"s, err_nan},
      {"NUL inside digits",
       "1\0"s
       "2\n",
       err_nan},
      {"control bytes", "\x01\x02\x03\n", err_nan},
      {"escape sequence", "\x1b[2J7\n", err_nan},
      {"DEL", "\x7f\n", err_nan},
      {"lone CR inside", "7\r7\n", err_nan},
      {"two CRs", "7\r\r\n", err_nan},
      {"invalid UTF-8", "\xff\xfe\n", err_nan},
      {"truncated UTF-8 after digits", "7\xe2\x82\n", err_nan},
      {"overlong UTF-8 encoding of '7'", "\xc0\xb7\n", err_nan},
      {"non-ASCII digit (Arabic-Indic 3)", "\xd9\xa3\n", err_nan},
      {"fullwidth digit 7", "\xef\xbc\x97\n", err_nan},
  };
}

}  // namespace

TEST_CASE("Every bad input gets a readable ERR line and the connection lives on",
          "[limits][bad-input]") {
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--max-n", "5000"});
    const auto cases = bad_inputs("ERR n is too large: the limit is 5000");
    line_client c(s.port);
    line_client other(s.port);
    c.send("1\n");  // a line client from here on (the bare-number rule is over)
    REQUIRE(c.read_line() == "2");

    // One at a time, another client served in between.
    for (const auto& bad : cases) {
      INFO(bad.what);
      c.send(bad.bytes);
      CHECK(starts_with(c.read_line(), bad.reply));
      other.send("10\n");
      CHECK(other.read_line() == "29");
    }
    // All of them pipelined in one write, each followed by a good request: answered in order.
    std::string all;
    for (const auto& bad : cases) all += bad.bytes + "3\n";
    c.send(all);
    for (const auto& bad : cases) {
      INFO(bad.what);
      CHECK(starts_with(c.read_line(), bad.reply));
      CHECK(c.read_line() == "5");
    }
    // The connection still works, and so does everyone else.
    c.send("7\n");
    CHECK(c.read_line() == "17");
    CHECK(ask(s.port, "1000\n") == "7919");
  }
}

TEST_CASE("Bad input from a bare client (no newline yet) gets ERR too", "[limits][bad-input]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--max-n", "5000"});
  const std::vector<std::pair<std::string, std::string>> cases{
      {"abc", "ERR not a number: send decimal digits only, like 10"},
      {"-5", err_not_positive},
      {"0", err_not_positive},
      {" 7", "ERR not a number: send decimal digits only, like 10"},
      {"99999999999999999999999999999", "ERR n is too large: the limit is 5000"},
  };
  for (const auto& [bare, reply] : cases) {
    INFO(bare);
    line_client c(s.port);
    c.send(bare);
    CHECK(c.read_line() == reply);
    c.send("10");  // still a bare client, still served
    CHECK(c.read_line() == "29");
  }
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("A line longer than --max-line gets ERR, then close, with memory bounded",
          "[limits][bad-input]") {
  auto s = start_server({"--executor", "threads", "--stats-interval", "0"});  // default 1024
  line_client other(s.port);
  const auto rss_before = rss_kib(s.proc.pid());

  SECTION("a flood of digits with no newline") {
    line_client c(s.port);
    c.send("5\n");
    REQUIRE(c.read_line() == "11");
    // Far more than the limit: the server must stop at it, not buffer what follows.
    const std::string flood(8 << 20, '7');
    std::string_view rest = flood;
    const auto until = clock::now() + default_deadline;
    while (!rest.empty() && clock::now() < until) {
      const auto sent = send_some(c.fd(), rest);
      rest.remove_prefix(sent);
      if (sent == 0) {
        pollfd p{c.fd(), POLLOUT, 0};
        ::poll(&p, 1, 100);
        if ((p.revents & (POLLERR | POLLHUP)) != 0) break;  // the server closed: expected
      }
    }
    CHECK(c.read_line() == "ERR line too long: no newline within 1024 bytes, closing");
    CHECK(c.wait_closed());
    const auto rss_after = rss_kib(s.proc.pid());
    INFO("server RSS " << rss_before << " KiB -> " << rss_after << " KiB, client sent "
                       << (flood.size() - rest.size()) << " bytes");
    CHECK(rss_after < rss_before + 4096);
  }
  SECTION("a long line with a newline, after good requests; what follows is not read") {
    line_client c(s.port);
    c.send("5\n" + std::string(2000, '1') + "\n10\n");
    CHECK(c.read_line() == "11");
    CHECK(starts_with(c.read_line(), "ERR line too long"));
    CHECK(c.wait_closed());
  }
  SECTION("the limit follows --max-line") {
    auto t = start_server({"--executor", "threads", "--stats-interval", "0", "--max-line", "8"});
    line_client c(t.port);
    c.send("00000010\n");  // exactly the limit: fine
    CHECK(c.read_line() == "29");
    c.send("123456789\n");
    CHECK(c.read_line() == "ERR line too long: no newline within 8 bytes, closing");
    CHECK(c.wait_closed());
  }
  other.send("10\n");
  CHECK(other.read_line() == "29");
}

TEST_CASE("The idle timeout closes silent connections, not busy ones", "[limits][idle]") {
  // One second: a loaded machine (or a sanitizer build) may stall the client for a few hundred
  // milliseconds between two sends, which must not look like silence.
  const milliseconds idle{1000};
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--idle-timeout", "1"});

  SECTION("half a line after a whole request, then silence: ERR idle timeout, closed") {
    line_client c(s.port);
    const auto start = clock::now();  // before the send: the server's clock starts after it
    c.send("10\n12");
    REQUIRE(c.read_line() == "29");
    CHECK(starts_with(c.read_line(), err_idle));  // "12" is never taken as a request
    CHECK(c.wait_closed());
    CHECK(clock::now() - start >= idle);
  }
  SECTION("a fresh connection that sends a number and waits is a bare client: answered") {
    line_client c(s.port);
    c.send("12");
    CHECK(c.read_line() == "37");
    // Then it is silent, and the idle timeout applies as to anyone.
    CHECK(starts_with(c.read_line(), err_idle));
    CHECK(c.wait_closed());
  }
  SECTION("connect and send nothing: closed after the timeout") {
    const auto start = clock::now();
    line_client c(s.port);
    CHECK(starts_with(c.read_line(), err_idle));
    CHECK(c.wait_closed());
    CHECK(clock::now() - start >= idle);
  }
  SECTION("a client waiting for a long computation is not idle") {
    line_client c(s.port);
    c.send("20000\n");  // naive: longer than the timeout, shorter than the deadline
    CHECK(c.read_line() == "224737");
  }
  SECTION("a client that keeps sending is never idle") {
    line_client c(s.port);
    const auto until = clock::now() + 3 * idle;
    while (clock::now() < until) {
      c.send("3\n");
      REQUIRE(c.read_line() == "5");
      // A stretch of silence shorter than the timeout, timed by the server's own silence.
      CHECK(stays_silent(c, idle / 4));
    }
  }
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("10,000 pipelined requests in one write get 10,000 answers in order",
          "[limits][pipeline]") {
  constexpr std::size_t count = 10'000;
  const auto primes = first_primes(500);
  std::string requests;
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t n = 1 + (i * 7919) % primes.size();  // cheap ones: the point is the order
    requests += std::to_string(n) + (i % 2 == 0 ? "\n" : "\r\n");
    expected.push_back(std::to_string(primes[n - 1]));
  }
  for (const auto& ex : all_executors) {
    INFO(ex);
    auto s = start_server({"--executor", ex, "--stats-interval", "0", "--workload", "trial"});
    line_client c(s.port);
    line_client other(s.port);
    // The whole batch is handed to the kernel at once; replies are read while it drains.
    const auto replies = exchange(c.fd(), requests, count);
    REQUIRE(replies.size() == count);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < count; ++i) wrong += replies[i] != expected[i] ? 1U : 0U;
    CHECK(wrong == 0);
    other.send("10\n");
    CHECK(other.read_line() == "29");
  }
}

TEST_CASE("A client that never reads is stopped, stays bounded, then is closed",
          "[limits][pipeline][slow-reader]") {
  // A small --send-buffer: the kernel holds little for the client, so the test needs little time
  // to fill it (the default, 64 KiB, behaves the same, a few seconds later).
  auto s = start_server({"--executor", "threads", "--stats-interval", "0", "--max-pipeline", "64",
                         "--idle-timeout", "0.5", "--send-buffer", "8192", "--workload", "trial"});
  line_client other(s.port);
  other.send("1\n");
  REQUIRE(other.read_line() == "2");
  const auto rss_before = rss_kib(s.proc.pid());

  line_client c(s.port);
  std::string chunk;
  for (int i = 0; i < 4096; ++i) chunk += "1000\n";
  // Send until the socket stays full: the server stopped reading. A server that read on would
  // take everything (and buffer the replies) and this loop would hit its byte cap.
  std::size_t sent = 0;
  constexpr std::size_t cap = std::size_t{256} << 20;
  bool stopped = false;
  const auto until = clock::now() + default_deadline;
  while (sent < cap && clock::now() < until) {
    const auto n = send_some(c.fd(), chunk);
    sent += n;
    if (n == 0) {
      pollfd p{c.fd(), POLLOUT, 0};
      // Writable again within 200 ms means the server still drains; otherwise it stopped.
      if (::poll(&p, 1, 200) == 0) {
        stopped = true;
        break;
      }
    }
  }
  INFO("client sent " << sent << " bytes");
  CHECK(stopped);
  const auto rss_stuck = rss_kib(s.proc.pid());
  INFO("server RSS " << rss_before << " KiB -> " << rss_stuck << " KiB");
  CHECK(rss_stuck < rss_before + 4096);
  // Others are served meanwhile.
  for (int i = 0; i < 5; ++i) {
    other.send("10\n");
    CHECK(other.read_line() == "29");
  }
  // Nothing moves on the stuck connection: the idle timeout closes it. Watched without reading
  // (reading would make it move again), while the other client is served all along.
  bool closed = false;
  for (const auto until2 = clock::now() + default_deadline; !closed && clock::now() < until2;) {
    pollfd p{c.fd(), POLLRDHUP, 0};
    closed = ::poll(&p, 1, 100) > 0;
    other.send("10\n");
    REQUIRE(other.read_line() == "29");
  }
  CHECK(closed);
  CHECK(c.wait_closed());
}

TEST_CASE("Pipelined requests per connection are bounded by --max-pipeline", "[limits][pipeline]") {
  auto s = start_server({"--executor", "threads", "--workers", "1", "--max-pipeline", "4",
                         "--stats-interval", "0.02"});
  line_client c(s.port);
  std::string twenty;
  for (int i = 0; i < 20; ++i) twenty += "20000\n";  // naive: seconds each
  c.send(twenty);
  // One computing, three queued: then the connection is not read any more.
  REQUIRE(s.proc.wait_for_line("in-flight 4 queued 3 busy 1/1"));
  // The next stats lines: never more than 4 taken from this connection.
  for (int i = 0; i < 10; ++i) {
    const auto line = s.proc.wait_for_line("stats: ");
    REQUIRE(line);
    CHECK(stats_field(*line, "in-flight") <= 4);
  }
  // The loop still reads and answers others (the one worker is busy: an error needs none).
  line_client other(s.port);
  other.send("x\n");
  CHECK(starts_with(other.read_line(), err_nan));
}

TEST_CASE("Past --queue-limit requests get ERR busy at once", "[limits][overload]") {
  for (const std::string ex : {"threads", "processes"}) {
    INFO(ex);
    auto s = start_server(
        {"--executor", ex, "--workers", "1", "--queue-limit", "1", "--stats-interval", "0.02"});
    line_client running(s.port);
    running.send("20000\n");  // naive: seconds of CPU
    REQUIRE(s.proc.wait_for_line("busy 1/1"));
    line_client queued(s.port);
    queued.send("20000\n");
    REQUIRE(s.proc.wait_for_line("queued 1 "));

    line_client c(s.port);
    c.send("10\n");
    CHECK(starts_with(c.read_line(), err_busy));
    CHECK(stays_silent(running, 0ms));  // refused at once, not after the long one
    // The connection lives on: once the queue has room, the same request is answered.
    reset(running);  // cancels both computations
    reset(queued);
    REQUIRE(s.proc.wait_for_line("queued 0 busy 0/1"));
    c.send("10\n");
    CHECK(c.read_line() == "29");
  }
}

TEST_CASE("Past --max-connections a new connection gets ERR and is closed", "[limits][overload]") {
  auto s =
      start_server({"--executor", "threads", "--max-connections", "3", "--stats-interval", "0.02"});
  std::vector<std::unique_ptr<line_client>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<line_client>(s.port));
    held.back()->send("1\n");
    REQUIRE(held.back()->read_line() == "2");
  }
  SECTION("a client that waits") {
    line_client extra(s.port);
    CHECK(extra.read_line() == "ERR too many connections, try again later");
    CHECK(extra.wait_closed());
  }
  SECTION("a client that sends a request at once still reads why") {
    line_client extra(s.port);
    extra.send("10\n");
    CHECK(extra.read_line() == "ERR too many connections, try again later");
    CHECK(extra.wait_closed());
  }
  // The connections held are unaffected.
  for (auto& c : held) {
    c->send("10\n");
    CHECK(c->read_line() == "29");
  }
  // One leaves: there is room again.
  held.front()->close();
  REQUIRE(s.proc.wait_for_line("connections 2 "));
  line_client next(s.port);
  next.send("10\n");
  CHECK(next.read_line() == "29");
}

TEST_CASE("Out of file descriptors, accept pauses without spinning and recovers",
          "[limits][overload][fds]") {
  constexpr int limit = 48;
  auto s = start_server_via({"/usr/bin/prlimit", "--nofile=" + std::to_string(limit)},
                            {"--executor", "threads", "--workers", "1", "--stats-interval", "0"});
  const auto pid = s.proc.pid();
  const auto base = open_fds_below(pid, limit);
  REQUIRE(base < static_cast<std::size_t>(limit) - 8);
  const auto room = static_cast<std::size_t>(limit) - base;
  INFO("server uses " << base << " descriptors of " << limit);

  // Fill every descriptor the server has left; each connection is served.
  std::vector<std::unique_ptr<line_client>> held;
  for (std::size_t i = 0; i < room; ++i) {
    held.push_back(std::make_unique<line_client>(s.port));
    held.back()->send("1\n");
    REQUIRE(held.back()->read_line() == "2");
  }
  // These complete the TCP handshake in the kernel's backlog, but the server cannot accept them.
  std::vector<std::unique_ptr<line_client>> waiting;
  for (int i = 0; i < 4; ++i) {
    waiting.push_back(std::make_unique<line_client>(s.port));
    waiting.back()->send("10\n");
  }
  REQUIRE(s.proc.wait_for_line("accept failed"));

  // Over a second of exhaustion the loop must mostly sleep (a spinning one burns ~100 ticks).
  // Meanwhile, which of the waiting clients get an answer? None, unless the count above was
  // off by a descriptor that was open only for a moment (a sanitizer's runtime may do that):
  // then the first one is accepted and answered. Either way, some must still be waiting.
  const auto ticks_before = cpu_ticks(pid);
  const auto start = clock::now();
  std::vector<bool> answered(waiting.size(), false);
  for (auto left = 1000ms; left.count() > 0;
       left = 1000ms - std::chrono::duration_cast<milliseconds>(clock::now() - start)) {
    std::vector<pollfd> fds;
    for (const auto& w : waiting) fds.push_back({w->fd(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0 || answered[i]) continue;
      CHECK(waiting[i]->read_line() == "29");
      answered[i] = true;
    }
  }
  const auto still_waiting = std::count(answered.begin(), answered.end(), false);
  CHECK(still_waiting >= 2);
  const auto elapsed_ticks =
      std::chrono::duration_cast<milliseconds>(clock::now() - start).count() *
      ::sysconf(_SC_CLK_TCK) / 1000;
  const auto used = cpu_ticks(pid) - ticks_before;
  INFO("server used " << used << " of " << elapsed_ticks << " clock ticks while out of fds");
  CHECK(used * 4 < elapsed_ticks);

  // The accepted connections are still served while accept is paused.
  held.back()->send("10\n");
  CHECK(held.back()->read_line() == "29");

  // Descriptors come free: the waiting connections are accepted and answered, with no help.
  for (int i = 0; i < 4; ++i) held.pop_back();
  for (std::size_t i = 0; i < waiting.size(); ++i) {
    if (!answered[i]) CHECK(waiting[i]->read_line() == "29");
  }
  held.front()->send("10000\n");
  CHECK(held.front()->read_line() == "104729");
}

TEST_CASE("10,000 idle connections are held while the server keeps answering",
          "[limits][overload][many]") {
  constexpr std::size_t count = 10'000;
  REQUIRE(raise_own_file_limit(count + 200) >= count + 100);
  auto s = start_server({"--executor", "threads", "--stats-interval", "0.2"});
  line_client probe(s.port);
  const auto rss_before = rss_kib(s.proc.pid());

  std::vector<std::unique_ptr<raw_connection>> idle;
  idle.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    idle.push_back(std::make_unique<raw_connection>(s.port));
    // Now and then, a request: the server keeps answering, and keeps up with the accepts (the
    // listen backlog never overflows, so no connect waits for a SYN retry).
    if (i % 1000 == 999) {
      probe.send("10\n");
      REQUIRE(probe.read_line() == "29");
    }
  }
  const auto line = s.proc.wait_for_line("connections 10001 ");
  REQUIRE(line);
  const auto rss_after = rss_kib(s.proc.pid());
  WARN("10,000 idle connections: server RSS " << rss_before << " KiB -> " << rss_after << " KiB ("
                                              << (rss_after - rss_before) * 1024 / count
                                              << " bytes per connection)");
  // Bounded: no read buffer (4 KiB) is allocated for a connection that has sent nothing. The
  // session, its coroutine frames and its timers come to about 9 KB in a release build;
  // sanitizers add their own bookkeeping to every allocation.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr std::size_t per_connection_limit = 48 * 1024;
#else
  constexpr std::size_t per_connection_limit = 12 * 1024;
#endif
  CHECK((rss_after - std::min(rss_after, rss_before)) * 1024 / count < per_connection_limit);
  // None was closed or written to.
  std::size_t active = 0;
  for (const auto& c : idle) {
    pollfd p{c->fd(), POLLIN, 0};
    active += ::poll(&p, 1, 0) != 0 ? 1U : 0U;
  }
  CHECK(active == 0);
  CHECK(ask(s.port, "10000\n") == "104729");
  probe.send("1000\n");
  CHECK(probe.read_line() == "7919");
}
