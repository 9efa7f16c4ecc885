#pragma once
/// Plain POSIX sockets with blocking calls, as the lesson's first servers use them, plus the one
/// thing a teaching server needs on top: every wait also wakes when the server shuts down.
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace primeloop::reference {

/// A descriptor closed on destruction.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ~unique_fd();
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

/// A listening TCP socket. Throws std::runtime_error("cannot bind 127.0.0.1:80: ...").
class listener {
 public:
  listener(const std::string& bind, std::uint16_t port, int backlog);
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  /// The address and port actually bound ("127.0.0.1", 41234).
  [[nodiscard]] std::string address() const;
  [[nodiscard]] std::uint16_t port() const;

 private:
  unique_fd fd_;
};

/// An eventfd that becomes readable, for good, once fire() is called: the shutdown wake-up of
/// every blocking wait. fire() is async-signal-safe and may be called from any thread.
class wake_event {
 public:
  wake_event();
  void fire() const noexcept;
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

 private:
  unique_fd fd_;
};

/// What a wait ended with.
enum class wait_result { ready, timeout, woken };

/// Waits until fd is readable (or closed by its peer), the timeout passes (0: never) or wake
/// fires. Interrupted system calls are retried.
[[nodiscard]] wait_result wait_readable(int fd, const wake_event& wake,
                                        std::chrono::milliseconds timeout);

/// Bytes the kernel holds for fd that nobody has read yet.
[[nodiscard]] std::size_t bytes_available(int fd) noexcept;

/// Writes all of bytes with blocking send() calls; false when the peer is gone.
[[nodiscard]] bool write_all(int fd, std::string_view bytes) noexcept;

}  // namespace primeloop::reference
