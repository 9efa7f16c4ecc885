#pragma once
/// A small, strict HTTP/1.1 request reader for the server's HTTP face: request line and
/// headers only (no request bodies), pipelined requests, bounded memory. Pure: no I/O, no Asio,
/// so every rule can be unit-tested and fuzzed (docs/protocol.md, "The HTTP face").
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

namespace primeloop::http {

/// The longest request head (request line and headers) unless told otherwise.
inline constexpr std::size_t default_max_head = 8 * 1024;

/// One parsed request. The views point into the reader's buffer: valid until its next prepare().
struct request {
  std::string_view method;  ///< as sent (methods are case-sensitive)
  /// origin-form, e.g. "/prime/10" (an absolute-form target is cut to its path), or "*"
  std::string_view target;
  int minor_version = 1;   ///< HTTP/1.<minor_version>: 0 or 1
  bool keep_alive = true;  ///< the connection stays open after the response
};

/// Why a request head was refused, and the status to answer it with.
struct parse_error {
  int status = 400;         ///< 400, 413, 431 or 505
  std::string_view reason;  ///< a short text for the response body
};

/// Frames and parses requests from a byte stream, as protocol::line_framer frames lines. Owns a
/// fixed buffer of max_head bytes, allocated on the first prepare(). After an error the stream
/// is unusable: the server answers the error and closes.
class request_reader {
 public:
  explicit request_reader(std::size_t max_head = default_max_head);

  /// Where the next read may write. Empty only after an error (nothing more is read then).
  [[nodiscard]] std::span<char> prepare() noexcept;
  /// Records that n bytes were written into the span prepare() returned.
  void commit(std::size_t n) noexcept;

  enum class status { request, need_more, error };
  struct event {
    status what = status::need_more;
    request req;        ///< with status::request
    parse_error error;  ///< with status::error
  };
  /// The next complete request, need_more, or an error (then the stream is unusable).
  [[nodiscard]] event next() noexcept;

  /// Bytes received and not taken as a request yet (a request being sent, or pipelined ones).
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }

 private:
  std::size_t max_head_;
  std::unique_ptr<char[]> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t scanned_ = 0;  // bytes after begin_ known to hold no end of head
  bool failed_ = false;
};

/// Parses one complete request head (everything before the empty line, without it). Exposed
/// for tests and the fuzzer; request_reader calls it.
[[nodiscard]] bool parse_head(std::string_view head, request& out, parse_error& error) noexcept;

/// The reason phrase of a status code the server sends ("OK", "Not Found", ...).
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

}  // namespace primeloop::http
