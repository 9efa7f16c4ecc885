#include "http_client.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

namespace primeloop::test {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string strip_cr(std::string s) {
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

}  // namespace

void http_client::send_get(std::string_view target, std::string_view extra_headers) const {
  std::string req = "GET ";
  req.append(target)
      .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
      .append(extra_headers)
      .append("\r\n");
  send(req);
}

std::optional<http_response> http_client::read_response(milliseconds deadline, bool to_head) {
  using clock = std::chrono::steady_clock;
  const auto until = clock::now() + deadline;
  const auto left = [&] {
    return std::max(milliseconds(0),
                    std::chrono::duration_cast<milliseconds>(until - clock::now()));
  };
  auto status_line = conn_.read_line(left());
  if (!status_line) return std::nullopt;
  http_response r;
  const std::string line = strip_cr(*status_line);
  if (line.rfind("HTTP/1.1 ", 0) != 0 || line.size() < 12) return std::nullopt;
  r.status = std::stoi(line.substr(9, 3));
  for (;;) {
    auto h = conn_.read_line(left());
    if (!h) return std::nullopt;
    const std::string header = strip_cr(*h);
    if (header.empty()) break;
    const auto colon = header.find(':');
    if (colon == std::string::npos) return std::nullopt;
    auto value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[lower(header.substr(0, colon))] = value;
  }
  if (to_head) return r;
  const std::size_t length = std::stoul(
      r.header("content-length").empty() ? std::string("0") : r.header("content-length"));
  while (r.body.size() < length) {
    auto l = conn_.read_line(left());
    if (!l) return std::nullopt;
    r.body += *l + "\n";
  }
  return r;
}

std::optional<http_response> http_get(std::uint16_t port, std::string_view target,
                                      milliseconds deadline) {
  http_client c(port);
  return c.get(target, deadline);
}

std::uint16_t read_http_port(server_process& s) {
  const auto line = s.proc.wait_for_line("http listening on ");
  if (!line) return 0;
  return static_cast<std::uint16_t>(std::stoul(line->substr(line->rfind(':') + 1)));
}

http_server start_http(std::vector<std::string> flags) {
  flags.insert(flags.end(), {"--http-port", "0"});
  http_server h{start_server(std::move(flags)), 0};
  h.http_port = read_http_port(h.s);
  if (h.http_port == 0) throw std::runtime_error("the server printed no 'http listening on' line");
  return h;
}

}  // namespace primeloop::test
