#include "prometheus_support.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <regex>
#include <sstream>

namespace primeloop::test {
namespace {

using clock = std::chrono::steady_clock;

/// Percent-encodes a query parameter's value (everything but RFC 3986's unreserved characters).
std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> installed(std::string_view name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::istringstream in(path);
    for (std::string dir; std::getline(in, dir, ':');) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  dirs.insert(dirs.end(), {"/usr/sbin", "/usr/bin"});
  for (const auto& dir : dirs) {
    std::string candidate = dir + "/" + std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::optional<http_answer> http_get_once(std::uint16_t port, std::string_view target,
                                         milliseconds deadline) {
  const int fd = connect_loopback(port);
  const std::string request = "GET " + std::string(target) + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  std::string got;
  bool closed = false;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    const auto until = clock::now() + deadline;
    while (!closed) {
      const auto left = std::chrono::duration_cast<milliseconds>(until - clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      char buf[8192];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        closed = n == 0;
        break;
      }
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  // "HTTP/1.x NNN reason", headers, a blank line, the body up to the close.
  const auto head_end = got.find("\r\n\r\n");
  if (!closed || got.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) {
    return std::nullopt;
  }
  return http_answer{std::atoi(got.c_str() + 9), got.substr(head_end + 4)};
}

std::optional<std::vector<prom_sample>> prom_query(std::uint16_t port, std::string_view expr) {
  const auto answer = http_get_once(port, "/api/v1/query?query=" + url_encode(expr));
  if (!answer || answer->status != 200 ||
      answer->body.find(R"("status":"success")") == std::string::npos) {
    return std::nullopt;
  }
  // An instant vector: {"metric":{"name":"value",...},"value":[time,"value"]} per sample. Our
  // label values hold no braces or quotes, which keeps this a pattern, not a JSON parser.
  static const std::regex sample_re(
      R"re(\{"metric":\{([^{}]*)\},"value":\[[0-9.eE+-]+,"([^"]*)"\]\})re");
  static const std::regex label_re(R"re("([^"]+)":"([^"]*)")re");
  std::vector<prom_sample> out;
  const auto& body = answer->body;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), sample_re);
       it != std::sregex_iterator(); ++it) {
    prom_sample s;
    const std::string labels = (*it)[1];
    for (auto l = std::sregex_iterator(labels.begin(), labels.end(), label_re);
         l != std::sregex_iterator(); ++l) {
      s.labels[(*l)[1]] = (*l)[2];
    }
    s.value = (*it)[2];
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace primeloop::test
