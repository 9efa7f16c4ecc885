#include "benchmarks/reference/socket_io.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace primeloop::reference {
namespace {

/// The bound address of fd, IPv4 or IPv6.
sockaddr_storage local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ss;
}

}  // namespace

unique_fd::~unique_fd() {
  if (fd_ >= 0) ::close(fd_);
}

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

listener::listener(const std::string& bind, std::uint16_t port, int backlog) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, bind.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, bind.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    throw std::runtime_error(fmt::format("cannot bind: '{}' is not an IP address", bind));
  }
  const auto fail = [&](std::string_view step) {
    return std::runtime_error(
        fmt::format("cannot {} {}:{}: {}", step, bind, port, std::strerror(errno)));
  };
  fd_ = unique_fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd_.get() < 0) throw fail("open a socket for");
  const int one = 1;
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) throw fail("bind");
  if (::listen(fd_.get(), backlog) != 0) throw fail("listen on");
}

std::string listener::address() const {
  const auto ss = local_address(fd_.get());
  char text[INET6_ADDRSTRLEN] = {};
  const void* where =
      ss.ss_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr);
  ::inet_ntop(ss.ss_family, where, text, sizeof text);
  return text;
}

std::uint16_t listener::port() const {
  const auto ss = local_address(fd_.get());
  return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

wake_event::wake_event() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_.get() < 0) {
    throw std::runtime_error(fmt::format("cannot create an eventfd: {}", std::strerror(errno)));
  }
}

void wake_event::fire() const noexcept {
  // Never read: the counter stays non-zero and every later poll sees it readable at once.
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto w = ::write(fd_.get(), &one, sizeof one);
}

wait_result wait_readable(int fd, const wake_event& wake, std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake.fd(), POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int ms = -1;
    if (timeout.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
    }
    const int r = ::poll(fds, 2, ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return wait_result::woken;  // cannot wait any more: treat as the end
    if ((fds[1].revents & POLLIN) != 0) return wait_result::woken;
    if (fds[0].revents != 0) return wait_result::ready;
    if (timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
      return wait_result::timeout;
    }
  }
}

std::size_t bytes_available(int fd) noexcept {
  int n = 0;
  if (::ioctl(fd, FIONREAD, &n) != 0 || n < 0) return 0;
  return static_cast<std::size_t>(n);
}

bool write_all(int fd, std::string_view bytes) noexcept {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace primeloop::reference
