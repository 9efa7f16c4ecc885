#pragma once
/// The wire protocol as pure functions and small types: framing, parsing, formatting replies.
/// No I/O and no Asio here, so every rule can be unit-tested and fuzzed on its own.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/errc.hpp"

namespace primeloop::protocol {

/// The port the server listens on and the client connects to unless --port says otherwise.
inline constexpr std::uint16_t default_port = 25000;
/// The largest n the server accepts unless --max-n says otherwise.
inline constexpr std::uint64_t default_max_n = 100'000'000;
/// The largest --max-n a server accepts with the naive, trial and sieve workloads (the fast one
/// goes further: largest_n in core/workloads.hpp).
inline constexpr std::uint64_t largest_max_n = 1'000'000'000'000;
/// The longest request line (without its newline) unless --max-line says otherwise.
inline constexpr std::size_t default_max_line = 1024;
/// Longest reply to a successful request: 20 digits and a newline.
inline constexpr std::size_t max_value_reply = 21;

/// A parsed request: n, or the reason it is not one.
struct request {
  std::uint64_t n = 0;
  errc error{};  ///< errc{} (zero) when n is valid
  [[nodiscard]] bool ok() const noexcept { return error == errc{}; }
};

/// Parses one request line (without its line ending). Accepts decimal digits only, 1 <= n <= max_n.
[[nodiscard]] request parse_request(std::string_view line, std::uint64_t max_n) noexcept;

/// Writes "<value>\n" into out and returns the number of bytes written.
std::size_t format_value(std::uint64_t value, std::span<char, max_value_reply> out) noexcept;

/// The whole "ERR <reason>\n" line for an error; limits are named where they explain the error
/// (a timeout of zero leaves the time out of its line).
[[nodiscard]] std::string format_error(errc e, std::uint64_t max_n, std::size_t max_line,
                                       std::chrono::milliseconds idle_timeout = {},
                                       std::chrono::milliseconds line_timeout = {});

/// The precomputed ERR lines of one server, so replying with an error allocates nothing.
class error_lines {
 public:
  error_lines(std::uint64_t max_n, std::size_t max_line,
              std::chrono::milliseconds idle_timeout = {},
              std::chrono::milliseconds line_timeout = {});
  /// The line for e, with its trailing newline.
  [[nodiscard]] std::string_view operator[](errc e) const noexcept;

 private:
  std::array<std::string, 16> lines_;
};

/// Splits a byte stream into request lines. Owns a fixed buffer: memory per connection is bounded
/// no matter what a client sends.
///
/// Rules (docs/protocol.md):
/// - A line ends at '\n'; one '\r' before it is dropped.
/// - A line longer than max_line bytes, ended or not, is an error and the stream is unusable.
/// - A connection that has never sent '\n' is a "bare" client (it sends a number and waits);
///   take_bare() hands out what it sent as one request when the caller decides it is complete.
class line_framer {
 public:
  explicit line_framer(std::size_t max_line = default_max_line);

  /// Where the next read may write. Never empty while the framer is not failed.
  [[nodiscard]] std::span<char> prepare() noexcept;
  /// Records that n bytes were written into the span prepare() returned.
  void commit(std::size_t n) noexcept;

  enum class status { line, need_more, too_long };
  struct event {
    status what = status::need_more;
    std::string_view line;  ///< valid until the next prepare()
  };
  /// The next complete line, or need_more, or too_long (then the stream is unusable).
  [[nodiscard]] event next() noexcept;

  /// For a connection that has never sent '\n': the unterminated bytes buffered, consumed as one
  /// request line. Empty when a newline was ever seen or nothing is buffered.
  [[nodiscard]] std::optional<std::string_view> take_bare() noexcept;

  [[nodiscard]] bool seen_newline() const noexcept { return seen_newline_; }
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  std::size_t max_line_;
  std::size_t capacity_;
  std::unique_ptr<char[]> buf_;  // allocated on the first prepare(): idle connections cost none
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t scanned_ = 0;  // bytes after begin_ known to hold no '\n'
  bool seen_newline_ = false;
  bool failed_ = false;
};

}  // namespace primeloop::protocol
