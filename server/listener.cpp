#include "server/listener.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <asio/co_spawn.hpp>

#include "server/connection_manager.hpp"

namespace primeloop {

listener::listener(net::io_context& io, connection_context& ctx, listener_config config)
    : io_(io), ctx_(ctx), config_(std::move(config)), acceptor_(io), pause_(io) {
  const auto& bind = ctx_.options.bind;
  std::error_code ec;
  const auto address = net::ip::make_address(bind, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot bind: '{}' is not an IP address", bind));
  const tcp::endpoint ep{address, config_.port};
  const auto fail = [&](std::string_view step) {
    return std::runtime_error(
        fmt::format("cannot {} {}:{}: {}", step, bind, config_.port, ec.message()));
  };
  if (acceptor_.open(ep.protocol(), ec); ec) throw fail("open a socket for");
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (acceptor_.bind(ep, ec); ec) {
    // Two ports can be asked for: say which one, and the way out when it is taken.
    throw std::runtime_error(fmt::format(
        "cannot bind {}:{}, {}: {}{}", bind, config_.port, config_.what, ec.message(),
        config_.port == 0 ? "" : fmt::format(";\n  {} 0 picks a free one", config_.port_flag)));
  }
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) throw fail("listen on");
}

void listener::start() {
  acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!acceptor_.is_open()) {
      // Accepted just before the listener closed: served (and drained) like the others.
      if (!ec) serve(std::move(socket));
      return;
    }
    if (ec) {
      // Out of descriptors (EMFILE/ENFILE) or a passing error: retrying at once would spin
      // the loop at 100% CPU, so pause accepting briefly; the loop keeps serving.
      if (!warned_) {
        fmt::print(stderr, "primeloop-server: accept failed: {}; pausing accepts\n", ec.message());
        warned_ = true;
      }
      pause_.expires_after(std::chrono::milliseconds(50));
      pause_.async_wait([this](std::error_code wait_ec) {
        if (!wait_ec) start();
      });
      return;
    }
    warned_ = false;
    serve(std::move(socket));
    start();
  });
}

void listener::serve(tcp::socket socket) {
  const auto open = ctx_.connections.size();
  const auto limit = ctx_.options.max_connections;
  std::unique_ptr<protocol::codec> codec;
  if (open < limit) {
    codec = config_.make_codec();
  } else if (config_.make_probe_codec && open < limit + probe_reserve) {
    codec = config_.make_probe_codec();
  } else {
    refuse(std::move(socket));
    return;
  }
  std::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  // A fixed send buffer: the kernel would grow it to megabytes for a client that never
  // reads, and the server would go on reading and computing for it all that time.
  if (const auto size = ctx_.options.send_buffer; size > 0) {
    socket.set_option(net::socket_base::send_buffer_size(static_cast<int>(size)), ec);
  }
  auto c = std::make_unique<connection>(std::move(socket), ctx_, std::move(codec));
  if (config_.open) config_.open->fetch_add(1, std::memory_order_relaxed);
  // co_spawn dispatches: on the loop thread the connection starts (and joins the manager)
  // before co_spawn returns, which close() relies on. The completion handler owns the
  // connection: it lives until its run() has ended.
  auto& running = *c;
  net::co_spawn(io_, running.run(),
                [c = std::move(c), open = config_.open, name = config_.name](std::exception_ptr e) {
                  if (open) open->fetch_sub(1, std::memory_order_relaxed);
                  if (e) log_exception(fmt::format("{} connection", name), e);
                });
}

void listener::refuse(tcp::socket socket) {
  std::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(net::buffer(config_.refusal), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
  ctx_.stats.count(errc::too_many_connections);
}

void listener::close() {
  if (!acceptor_.is_open()) return;
  std::error_code ec;
  acceptor_.non_blocking(true, ec);
  while (!ec) {
    tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    if (!ec) serve(std::move(socket));  // would_block ends it: the queue is empty
  }
  acceptor_.close(ec);
  pause_.cancel();
}

void log_exception(std::string_view where, std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "primeloop-server: {} ended with an error: {}\n", where, ex.what());
  } catch (...) {
    fmt::print(stderr, "primeloop-server: {} ended with an unknown error\n", where);
  }
}

}  // namespace primeloop
