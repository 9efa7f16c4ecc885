#include "benchmarks/baseline/baseline_server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <exception>
#include <stdexcept>

#include "clients/connect.hpp"

namespace primeloop::baseline {
namespace {

namespace net = asio;
using tcp = net::ip::tcp;
using clients::use_tuple;
constexpr std::size_t read_size = 16 * 1024;

net::awaitable<void> session(tcp::socket socket, const std::string& replies) {
  std::array<char, read_size> buf;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(net::buffer(buf), use_tuple);
    if (ec) co_return;  // end of stream or stop: both are normal ends
    const auto lines = static_cast<std::size_t>(std::count(buf.data(), buf.data() + n, '\n'));
    if (lines == 0) continue;
    if (auto [wec, w] =
            co_await net::async_write(socket, net::buffer(replies.data(), 2 * lines), use_tuple);
        wec) {
      co_return;
    }
  }
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor, const std::string& replies) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // e.g. a connection reset before it was accepted
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(acceptor.get_executor(), session(std::move(socket), replies),
                  [](std::exception_ptr e) {
                    if (e) std::rethrow_exception(e);
                  });
  }
}

}  // namespace

baseline_server::baseline_server(const asio::any_io_executor& ex, const std::string& bind,
                                 std::uint16_t port)
    : acceptor_(ex), replies_(2 * read_size, '\n') {
  for (std::size_t i = 0; i < replies_.size(); i += 2) replies_[i] = '2';
  std::error_code ec;
  const tcp::endpoint ep(net::ip::make_address(bind, ec), port);
  if (ec) throw std::runtime_error(fmt::format("cannot listen on {}: {}", bind, ec.message()));
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", bind, port, ec.message()));
  }
}

void baseline_server::start() {
  net::co_spawn(acceptor_.get_executor(), accept_loop(acceptor_, replies_),
                [](std::exception_ptr e) {
                  if (e) std::rethrow_exception(e);
                });
}

void baseline_server::stop() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace primeloop::baseline
