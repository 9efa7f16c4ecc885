#include "clients/reply_lines.hpp"

#include <fmt/format.h>

#include <asio/error.hpp>

namespace primeloop::clients {

std::string reply_lines::read_failure(std::error_code ec) {
  return ec == asio::error::eof ? std::string("the server closed the connection")
                                : fmt::format("cannot read: {}", ec.message());
}

std::string reply_lines::too_long() const {
  return fmt::format("a reply longer than {} bytes", buf.size());
}

}  // namespace primeloop::clients
