#include "clients/connect.hpp"

#include <fmt/format.h>

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <stdexcept>

namespace primeloop::clients {

asio::awaitable<void> connect_to(asio::ip::tcp::socket& socket, const std::string& host,
                                 std::uint16_t port) {
  asio::ip::tcp::resolver resolver(socket.get_executor());
  auto [rec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
  if (rec) {
    throw std::runtime_error(fmt::format("cannot resolve {}: {}", host, rec.message()));
  }
  auto [ec, ep] = co_await asio::async_connect(socket, endpoints, use_tuple);
  if (ec) {
    throw std::runtime_error(fmt::format("cannot connect to {}:{}: {}", host, port, ec.message()));
  }
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
}

}  // namespace primeloop::clients
