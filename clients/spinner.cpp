#include "clients/spinner.hpp"

#include <fmt/format.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <string_view>

namespace primeloop::clients {
namespace {

void write_text(int fd, std::string_view text) noexcept {
  while (!text.empty()) {
    const auto n = ::write(fd, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

/// Clears the spinner's line when the wait ends, however it ends (the `||` cancels spin()).
struct line_clearer {
  int fd;
  bool drawn = false;
  ~line_clearer() {
    if (drawn) write_text(fd, "\r\033[K");
  }
};

}  // namespace

asio::awaitable<void> spin(int fd, std::chrono::milliseconds delay) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  line_clearer clear{fd};
  static constexpr std::string_view frames = "\\|/-";
  for (std::size_t i = 0;; ++i) {
    auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const double seconds = std::chrono::duration<double>(clock::now() - start).count();
    write_text(fd, fmt::format("\r{} waiting {:.1f} s", frames[i % frames.size()], seconds));
    clear.drawn = true;
    timer.expires_after(std::chrono::milliseconds{100});
  }
}

}  // namespace primeloop::clients
