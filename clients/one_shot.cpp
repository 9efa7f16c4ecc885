#include "clients/one_shot.hpp"

#include <fmt/format.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <stdexcept>

#include "clients/connect.hpp"
#include "clients/settled.hpp"

namespace primeloop::clients {
namespace {

namespace net = asio;
using tcp = net::ip::tcp;

net::awaitable<std::vector<std::string>> exchange(tcp::socket& socket, const std::string& out,
                                                  std::size_t replies) {
  if (auto [ec, n] = co_await net::async_write(socket, net::buffer(out), use_tuple); ec) {
    throw std::runtime_error(fmt::format("cannot send: {}", ec.message()));
  }
  std::vector<std::string> lines;
  std::string in;
  while (lines.size() < replies) {
    auto [ec, len] =
        co_await net::async_read_until(socket, net::dynamic_buffer(in), '\n', use_tuple);
    if (ec) {
      throw std::runtime_error(
          ec == net::error::eof
              ? fmt::format("the server closed the connection after {} of {} replies", lines.size(),
                            replies)
              : fmt::format("cannot read: {}", ec.message()));
    }
    std::string line = in.substr(0, len - 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    in.erase(0, len);
  }
  co_return lines;
}

}  // namespace

net::awaitable<std::vector<std::string>> ask(one_shot_config config,
                                             std::vector<std::string> requests) {
  using namespace net::experimental::awaitable_operators;
  tcp::socket socket(co_await net::this_coro::executor);
  co_await connect_to(socket, config.host, config.port);
  std::string out;
  for (const auto& r : requests) {
    if (r.find('\n') != std::string::npos) {
      throw std::invalid_argument("a request cannot contain a newline");
    }
    out += r;
    out += '\n';
  }
  if (config.timeout.count() <= 0) co_return co_await exchange(socket, out, requests.size());

  net::steady_timer timer(socket.get_executor(), config.timeout);
  // settled(): a closed connection ends the wait at once, and is not reported as a timeout.
  auto winner = co_await (settled(exchange(socket, out, requests.size())) ||
                          timer.async_wait(net::use_awaitable));
  if (winner.index() == 1) {
    throw std::runtime_error(
        fmt::format("no answer from {}:{} within {:g} s (--timeout {:g}; 0 waits as long as the "
                    "server works)",
                    config.host, config.port, std::chrono::duration<double>(config.timeout).count(),
                    std::chrono::duration<double>(config.timeout).count()));
  }
  co_return value_of(std::get<0>(std::move(winner)));
}

}  // namespace primeloop::clients
