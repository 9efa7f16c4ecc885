#pragma once
/// A load connection's replies as they arrive: one line each, however the reads cut them. Both
/// the closed and the open loop read their connections through it.
#include <array>
#include <asio/buffer.hpp>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace primeloop::clients {

/// A fixed read buffer and the bytes in it not yet split into lines. Nothing is allocated per
/// reply.
struct reply_lines {
  std::array<char, 4096> buf{};
  std::size_t have = 0;

  /// Where the next read goes: the space behind what the buffer still holds.
  [[nodiscard]] asio::mutable_buffer free_space() {
    return asio::buffer(buf.data() + have, buf.size() - have);
  }

  /// Adds got bytes just read into free_space() and hands each complete line (without its
  /// "\n" or "\r\n") to on_line, which returns false to stop. Returns how many lines it
  /// handed over; nullopt when on_line stopped, or when the buffer is full without a line
  /// (fail is then called with why).
  template <class OnLine, class Fail>
  std::optional<std::size_t> split(std::size_t got, OnLine&& on_line, Fail&& fail) {
    have += got;
    std::size_t begin = 0;
    std::size_t lines = 0;
    while (const void* nl = std::memchr(buf.data() + begin, '\n', have - begin)) {
      const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data());
      std::string_view line(buf.data() + begin, end - begin);
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (!on_line(line)) return std::nullopt;
      ++lines;
      begin = end + 1;
    }
    if (begin == 0 && have == buf.size()) {
      fail(too_long());
      return std::nullopt;
    }
    std::memmove(buf.data(), buf.data() + begin, have - begin);
    have -= begin;
    return lines;
  }

  /// Why a read failed, as the run's result says it.
  [[nodiscard]] static std::string read_failure(std::error_code ec);

 private:
  [[nodiscard]] std::string too_long() const;
};

}  // namespace primeloop::clients
