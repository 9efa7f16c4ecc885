#include "limits_support.hpp"

#include "benchmarks/harness/proc_stat.hpp"
#include "benchmarks/harness/process_probe.hpp"

namespace primeloop::test::limits {

[[nodiscard]] bool starts_with(const std::optional<std::string>& s, std::string_view prefix) {
  return s && s->rfind(prefix, 0) == 0;
}

server_process start_server_via(std::vector<std::string> launcher,
                                const std::vector<std::string>& flags) {
  std::vector<std::string> argv = std::move(launcher);
  argv.insert(argv.end(), {bin("primeloop-server"), "--port", "0"});
  argv.insert(argv.end(), flags.begin(), flags.end());
  return start_listening(std::move(argv), "primeloop-server", /*first_line_only=*/false);
}

long cpu_ticks(pid_t pid) {
  return static_cast<long>(harness::read_proc_stat(pid).value_or(harness::proc_stat{}).cpu_ticks());
}

std::size_t rss_kib(pid_t pid) {
  return harness::proc_status_value(pid, "VmRSS").value_or(0);
}

std::size_t open_fds_below(pid_t pid, int limit) {
  std::size_t n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    n += std::stoi(e.path().filename().string()) < limit ? 1U : 0U;
  }
  return n;
}

long stats_field(const std::string& line, std::string_view key) {
  const auto at = line.find(std::string(key) + " ");
  return at == std::string::npos ? -1 : std::stol(line.substr(at + key.size() + 1));
}

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

std::vector<std::string> exchange(int fd, std::string_view bytes, std::size_t count,
                                  milliseconds deadline) {
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

bool stays_silent(const line_client& c, milliseconds deadline) {
  pollfd p{c.fd(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(deadline.count())) == 0;
}

std::vector<std::uint64_t> first_primes(std::size_t count) {
  std::vector<std::uint64_t> primes;
  for (std::uint64_t i = 2; primes.size() < count; ++i) {
    if (std::all_of(primes.begin(), primes.end(), [&](std::uint64_t p) { return i % p != 0; })) {
      primes.push_back(i);
    }
  }
  return primes;
}

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

}  // namespace primeloop::test::limits
