#pragma once
/// The one-shot client's sign of life while it waits for a slow answer: `\|/-` turning in one
/// place with the elapsed time, on a terminal only. Drawn from a timer of the client's own loop,
/// so the answer is read the moment it comes.
#include <unistd.h>

#include <asio/awaitable.hpp>
#include <chrono>

namespace primeloop::clients {

/// Whether a spinner may be drawn on fd: only when it is a terminal, never on a pipe or a file.
[[nodiscard]] inline bool spinner_allowed(int fd = STDERR_FILENO) noexcept {
  return ::isatty(fd) == 1;
}

/// Draws the spinner on fd after `delay`, every 100 ms, until cancelled (awaited with `||`
/// next to the wait it decorates); it then clears its line. Never returns on its own.
[[nodiscard]] asio::awaitable<void> spin(
    int fd = STDERR_FILENO, std::chrono::milliseconds delay = std::chrono::milliseconds{100});

}  // namespace primeloop::clients
