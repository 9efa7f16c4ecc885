#include "core/line_codec.hpp"

#include <array>

namespace primeloop::protocol {

line_codec::line_codec(const error_lines& errors, std::uint64_t max_n, std::size_t max_line)
    : errors_(errors), max_n_(max_n), framer_(max_line) {}

event line_codec::next() {
  if (done_) return {};
  const auto ev = framer_.next();
  switch (ev.what) {
    case line_framer::status::need_more:
      return {};
    case line_framer::status::too_long:
      done_ = true;  // the stream is unusable: its ERR is the last word
      return reply(errc::line_too_long);
    case line_framer::status::line:
      break;
  }
  return request_of(ev.line);
}

bool line_codec::maybe_bare() const {
  return !done_ && !framer_.seen_newline() && framer_.buffered() > 0;
}

event line_codec::take_bare() {
  if (auto line = framer_.take_bare()) return request_of(*line);
  return {};
}

end_rule line_codec::end_of_stream() const {
  return framer_.seen_newline() ? end_rule::linger : end_rule::wait_all;
}

event line_codec::request_of(std::string_view line) {
  const auto req = parse_request(line, max_n_);
  if (!req.ok()) return reply(req.error);
  return {event::kind::request, replies_.push(), req.n, errc{}};
}

event line_codec::reply(errc e) {
  const auto tag = replies_.push();
  replies_.fill(tag) = errors_[e];
  return {event::kind::replied, tag, 0, e};
}

void line_codec::complete(std::uint64_t tag, std::uint64_t value, errc e) {
  if (e != errc{}) {
    replies_.fill(tag) = errors_[e];
    return;
  }
  std::array<char, max_value_reply> digits;
  const auto n = format_value(value, digits);
  replies_.fill(tag).assign(digits.data(), n);
}

std::string line_codec::last_word(errc why) const {
  return std::string(errors_[why]);
}

}  // namespace primeloop::protocol
