#include "core/protocol.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace primeloop::protocol {

request parse_request(std::string_view line, std::uint64_t max_n) noexcept {
  if (line.empty()) return {0, errc::empty_line};
  const bool negative = line.front() == '-';
  const std::string_view digits = negative ? line.substr(1) : line;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return {0, errc::not_a_number};
  }
  if (negative) return {0, errc::not_positive};  // "-0" included: n counts from 1
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec == std::errc::result_out_of_range) return {0, errc::too_large};
  if (ec != std::errc{} || end != digits.data() + digits.size()) return {0, errc::not_a_number};
  if (n == 0) return {0, errc::not_positive};
  if (n > max_n) return {0, errc::too_large};
  return {n, errc{}};
}

std::size_t format_value(std::uint64_t value, std::span<char, max_value_reply> out) noexcept {
  const auto [end, ec] = std::to_chars(out.data(), out.data() + out.size() - 1, value);
  (void)ec;  // 20 digits always fit
  *end = '\n';
  return static_cast<std::size_t>(end - out.data()) + 1;
}

std::string format_error(errc e, std::uint64_t max_n, std::size_t max_line,
                         std::chrono::milliseconds idle_timeout,
                         std::chrono::milliseconds line_timeout) {
  const std::string reason = make_error_code(e).message();
  switch (e) {
    case errc::too_large:
      return fmt::format("ERR {}: the limit is {}\n", reason, max_n);
    case errc::line_too_long:
      return fmt::format("ERR line too long: no newline within {} bytes, closing\n", max_line);
    case errc::idle_timeout:
      if (idle_timeout.count() <= 0) break;
      return fmt::format("ERR idle timeout: nothing received for {} s, closing\n",
                         std::chrono::duration<double>(idle_timeout).count());
    case errc::line_timeout:
      if (line_timeout.count() <= 0) break;
      return fmt::format("ERR line timeout: no newline within {} s, closing\n",
                         std::chrono::duration<double>(line_timeout).count());
    default:
      break;
  }
  return fmt::format("ERR {}\n", reason);
}

error_lines::error_lines(std::uint64_t max_n, std::size_t max_line,
                         std::chrono::milliseconds idle_timeout,
                         std::chrono::milliseconds line_timeout) {
  static_assert(static_cast<std::size_t>(last_errc) < std::tuple_size_v<decltype(lines_)>);
  for (std::size_t i = 1; i <= static_cast<std::size_t>(last_errc); ++i) {
    lines_.at(i) = format_error(static_cast<errc>(i), max_n, max_line, idle_timeout, line_timeout);
  }
}

std::string_view error_lines::operator[](errc e) const noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < lines_.size() && !lines_[i].empty() ? std::string_view{lines_[i]}
                                                 : std::string_view{"ERR internal error\n"};
}

line_framer::line_framer(std::size_t max_line)
    : max_line_(max_line),
      // Room for a whole maximal line and its "\r\n", and enough to read many pipelined
      // requests at once.
      capacity_(std::max<std::size_t>(max_line + 2, 4096)) {}

std::span<char> line_framer::prepare() noexcept {
  if (!buf_) buf_ = std::make_unique_for_overwrite<char[]>(capacity_);
  if (begin_ == end_) {
    begin_ = end_ = scanned_ = 0;
  } else if (end_ == capacity_ && begin_ > 0) {
    // Only a partial line is left at the end: move it to the front. It is at most max_line
    // bytes long (next() reports too_long before), so this is cheap and leaves room.
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return {buf_.get() + end_, capacity_ - end_};
}

void line_framer::commit(std::size_t n) noexcept {
  end_ += n;
}

line_framer::event line_framer::next() noexcept {
  if (failed_) return {status::too_long, {}};
  // Nothing new since the last look (or no buffer yet: memchr must not see a null pointer).
  if (end_ - begin_ == scanned_) return {status::need_more, {}};
  const char* base = buf_.get();
  const char* from = base + begin_ + scanned_;
  const char* nl = static_cast<const char*>(std::memchr(from, '\n', end_ - begin_ - scanned_));
  if (nl == nullptr) {
    scanned_ = end_ - begin_;
    if (scanned_ > max_line_ + 1) {  // +1: a '\r' may still be followed by its '\n'
      failed_ = true;
      return {status::too_long, {}};
    }
    return {status::need_more, {}};
  }
  std::string_view line{base + begin_, static_cast<std::size_t>(nl - (base + begin_))};
  begin_ = static_cast<std::size_t>(nl - base) + 1;
  scanned_ = 0;
  seen_newline_ = true;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > max_line_) {
    failed_ = true;
    return {status::too_long, {}};
  }
  return {status::line, line};
}

std::optional<std::string_view> line_framer::take_bare() noexcept {
  if (seen_newline_ || failed_ || begin_ == end_) return std::nullopt;
  std::string_view line{buf_.get() + begin_, end_ - begin_};
  begin_ = end_;
  scanned_ = 0;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace primeloop::protocol
