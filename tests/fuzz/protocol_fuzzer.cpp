// libFuzzer target for core/protocol and core/line_codec: parse_request, the line framer, the
// bare-number rule, the reply formatting and the codec that joins them. Beyond "no crash, no
// sanitizer report", it checks each result against a plain reference written from docs/protocol.md,
// and that the framer gives the same lines however the stream is cut into reads. Any mismatch
// aborts, which libFuzzer reports as a crash.
//
// Input layout: byte 0 picks --max-line (8..71, small so that the too-long paths are reached
// often), byte 1 the read size (1..32 bytes) and --max-n; the rest is the byte stream a client
// sends.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errc.hpp"
#include "core/line_codec.hpp"
#include "core/protocol.hpp"

namespace {

using primeloop::errc;
namespace protocol = primeloop::protocol;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "protocol_fuzzer: %s\n", what);
    std::abort();
  }
}

/// docs/protocol.md's request rule, written the slow and obvious way.
protocol::request reference_parse(std::string_view line, std::uint64_t max_n) {
  if (line.empty()) return {0, errc::empty_line};
  const bool negative = line.front() == '-';
  std::string_view digits = negative ? line.substr(1) : line;
  if (digits.empty()) return {0, errc::not_a_number};
  for (const char c : digits) {
    if (c < '0' || c > '9') return {0, errc::not_a_number};
  }
  if (negative) return {0, errc::not_positive};
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  constexpr std::string_view u64_max = "18446744073709551615";
  if (digits.size() > u64_max.size() || (digits.size() == u64_max.size() && digits > u64_max)) {
    return {0, errc::too_large};
  }
  std::uint64_t n = 0;
  for (const char c : digits) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  if (n == 0) return {0, errc::not_positive};
  if (n > max_n) return {0, errc::too_large};
  return {n, errc{}};
}

void check_parse(std::string_view line, std::uint64_t max_n) {
  const auto got = protocol::parse_request(line, max_n);
  const auto want = reference_parse(line, max_n);
  require(got.error == want.error, "parse_request: wrong error");
  require(got.n == want.n, "parse_request: wrong n");
  if (got.ok()) {
    require(got.n >= 1 && got.n <= max_n, "parse_request: n out of range");
    std::array<char, protocol::max_value_reply> buf{};
    const auto len = protocol::format_value(got.n, buf);
    require(len >= 2 && len <= buf.size() && buf[len - 1] == '\n', "format_value: bad reply");
    // The reply, parsed back, is the same number.
    const auto again = protocol::parse_request(std::string_view(buf.data(), len - 1), got.n);
    require(again.ok() && again.n == got.n, "format_value: does not round-trip");
  }
}

/// What a framer reports for a whole stream: its lines, whether it failed, and the bare request
/// a client that never sent a newline would get.
struct framing {
  std::vector<std::string> lines;
  bool too_long = false;
  std::optional<std::string> bare;
};

framing frame(std::string_view stream, std::size_t max_line, std::size_t chunk) {
  protocol::line_framer f(max_line);
  framing out;
  while (!out.too_long) {
    // Every complete line is taken before the next read, as the session does.
    for (;;) {
      const auto ev = f.next();
      if (ev.what == protocol::line_framer::status::line) {
        require(ev.line.size() <= max_line, "framer: line over the limit");
        require(ev.line.find('\n') == std::string_view::npos, "framer: newline inside a line");
        out.lines.emplace_back(ev.line);
        continue;
      }
      out.too_long = ev.what == protocol::line_framer::status::too_long;
      break;
    }
    if (out.too_long || stream.empty()) break;
    const auto space = f.prepare();
    require(!space.empty(), "framer: no room for the next read");
    const std::size_t n = std::min({chunk, space.size(), stream.size()});
    std::memcpy(space.data(), stream.data(), n);
    f.commit(n);
    stream.remove_prefix(n);
    require(f.buffered() <= f.capacity(), "framer: buffered more than its capacity");
  }
  if (!out.too_long) {
    if (auto bare = f.take_bare()) out.bare = std::string(*bare);
  }
  return out;
}

/// docs/protocol.md's framing rule for a whole stream.
framing reference_frame(std::string_view stream, std::size_t max_line) {
  framing out;
  bool seen_newline = false;
  for (;;) {
    const auto nl = stream.find('\n');
    if (nl == std::string_view::npos) break;
    std::string_view line = stream.substr(0, nl);
    stream.remove_prefix(nl + 1);
    seen_newline = true;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) {
      out.too_long = true;
      return out;
    }
    out.lines.emplace_back(line);
  }
  // Unterminated bytes: too long once they cannot be a line of max_line plus its '\r'.
  if (stream.size() > max_line + 1) {
    out.too_long = true;
    return out;
  }
  if (!seen_newline && !stream.empty()) {
    if (stream.back() == '\r') stream.remove_suffix(1);
    out.bare = std::string(stream);
  }
  return out;
}

/// The replies a line codec queues for a stream, read the way a connection reads (chunk bytes
/// at a time, the events taken after each read, the answers given newest first), with a bare
/// number taken at the end.
std::string codec_replies(std::string_view stream, std::size_t max_line, std::size_t chunk,
                          std::uint64_t max_n, const protocol::error_lines& errors) {
  protocol::line_codec c(errors, max_n, max_line);
  std::vector<protocol::event> requests;
  const auto take = [&] {
    for (auto ev = c.next(); ev.what != protocol::event::kind::need_more; ev = c.next()) {
      if (ev.what == protocol::event::kind::request) requests.push_back(ev);
    }
  };
  for (take(); !stream.empty() && !c.done(); take()) {
    const auto space = c.prepare();
    const std::size_t n = std::min({chunk, space.size(), stream.size()});
    std::memcpy(space.data(), stream.data(), n);
    c.commit(n);
    stream.remove_prefix(n);
  }
  if (c.maybe_bare()) {
    const auto ev = c.take_bare();
    if (ev.what == protocol::event::kind::request) requests.push_back(ev);
  }
  for (auto it = requests.rbegin(); it != requests.rend(); ++it) c.complete(it->tag, it->n, {});
  std::string out;
  c.replies().take_ready(out);
  require(c.replies().empty(), "line codec: a reply left behind");
  return out;
}

/// What the codec must answer, from the reference framing and parsing.
std::string reference_replies(const framing& f, std::uint64_t max_n,
                              const protocol::error_lines& errors) {
  std::string out;
  const auto answer = [&](std::string_view line) {
    const auto req = reference_parse(line, max_n);
    out += req.ok() ? std::to_string(req.n) + "\n" : std::string(errors[req.error]);
  };
  for (const auto& line : f.lines) answer(line);
  if (f.too_long) out += errors[errc::line_too_long];
  if (f.bare) answer(*f.bare);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_line = 8 + data[0] % 64;
  const std::size_t chunk = 1 + data[1] % 32;
  const std::uint64_t max_n = (data[1] & 0x80) != 0 ? UINT64_MAX : protocol::default_max_n;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  // The whole input as one line, and every line the framer finds.
  check_parse(stream, max_n);
  const auto chunked = frame(stream, max_line, chunk);
  for (const auto& line : chunked.lines) check_parse(line, max_n);
  if (chunked.bare) check_parse(*chunked.bare, max_n);

  // However the stream is cut into reads, the framer says what the reference says.
  const auto whole = frame(stream, max_line, stream.size() + 1);
  const auto want = reference_frame(stream, max_line);
  require(chunked.lines == want.lines, "framer: lines differ from the reference");
  require(chunked.too_long == want.too_long, "framer: too-long differs from the reference");
  require(chunked.bare == want.bare, "framer: bare request differs from the reference");
  require(whole.lines == want.lines && whole.too_long == want.too_long && whole.bare == want.bare,
          "framer: one big read differs from the reference");

  // Every error line is one line that starts with ERR and names the limits it depends on.
  static const protocol::error_lines errors(protocol::default_max_n, protocol::default_max_line);

  // The codec answers each request in its place, however the stream is read.
  const protocol::error_lines codec_errors(max_n, max_line);
  const auto replies = codec_replies(stream, max_line, chunk, max_n, codec_errors);
  require(replies == reference_replies(want, max_n, codec_errors),
          "line codec: replies differ from the reference");
  require(replies == codec_replies(stream, max_line, stream.size() + 1, max_n, codec_errors),
          "line codec: replies depend on how the stream is read");
  const auto e = static_cast<errc>(1 + data[0] % static_cast<int>(primeloop::last_errc));
  const auto text = errors[e];
  require(text.substr(0, 4) == "ERR " && text.find('\n') == text.size() - 1,
          "error_lines: not one ERR line");
  return 0;
}
