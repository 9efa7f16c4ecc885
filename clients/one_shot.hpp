#pragma once
/// The one-shot client: send a few requests on one connection, read one reply line each.
#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace primeloop::clients {

/// Where to ask and how long to wait.
struct one_shot_config {
  std::string host = "127.0.0.1";        ///< server address
  std::uint16_t port = 0;                ///< server port
  std::chrono::milliseconds timeout{0};  ///< for all replies together; 0 = as long as it takes
};

/// Sends every request (each followed by '\n') in one write and returns the reply lines in
/// order, without their line endings. Throws std::runtime_error with a readable message when the
/// server cannot be reached, closes the connection early, or does not answer in time.
[[nodiscard]] asio::awaitable<std::vector<std::string>> ask(one_shot_config config,
                                                            std::vector<std::string> requests);

}  // namespace primeloop::clients
