#include "core/protocol.hpp"

#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using primeloop::errc;
using primeloop::protocol::line_framer;
using primeloop::protocol::parse_request;

namespace {

/// Feeds bytes to a framer in chunks of `chunk` and collects every event.
struct framed {
  std::vector<std::string> lines;
  bool too_long = false;
};

framed feed(line_framer& f, std::string_view bytes, std::size_t chunk = 1 << 20) {
  framed out;
  while (!bytes.empty() && !out.too_long) {
    auto space = f.prepare();
    const std::size_t n = std::min({chunk, space.size(), bytes.size()});
    std::memcpy(space.data(), bytes.data(), n);
    f.commit(n);
    bytes.remove_prefix(n);
    for (;;) {
      const auto ev = f.next();
      if (ev.what == line_framer::status::line) {
        out.lines.emplace_back(ev.line);
      } else {
        out.too_long = ev.what == line_framer::status::too_long;
        break;
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("A request is a positive decimal number", "[protocol]") {
  CHECK(parse_request("1", 100).n == 1);
  CHECK(parse_request("10", 100).ok());
  CHECK(parse_request("007", 100).n == 7);
  CHECK(parse_request("100", 100).n == 100);
  CHECK(parse_request("18446744073709551615", UINT64_MAX).n == UINT64_MAX);
}

TEST_CASE("Every malformed request has its own error", "[protocol]") {
  const std::uint64_t max = 1000;
  CHECK(parse_request("", max).error == errc::empty_line);
  CHECK(parse_request("0", max).error == errc::not_positive);
  CHECK(parse_request("-5", max).error == errc::not_positive);
  CHECK(parse_request("-0", max).error == errc::not_positive);
  CHECK(parse_request("1001", max).error == errc::too_large);
  CHECK(parse_request("123456789012345678901234567890", max).error == errc::too_large);
  CHECK(parse_request("18446744073709551616", UINT64_MAX).error == errc::too_large);
  for (const char* bad : {"abc", "+7", " 7", "7 ", "1.5", "1e5", "0x10", "-", "--5", "7a", "\x01",
                          "\xff\xfe", "\t7"}) {
    INFO(bad);
    CHECK(parse_request(bad, max).error == errc::not_a_number);
  }
  CHECK(parse_request(std::string_view("7\0", 2), max).error == errc::not_a_number);
}

TEST_CASE("Replies are the number and a newline", "[protocol]") {
  std::array<char, primeloop::protocol::max_value_reply> buf{};
  const auto n = primeloop::protocol::format_value(104729, buf);
  CHECK(std::string(buf.data(), n) == "104729\n");
  const auto m = primeloop::protocol::format_value(UINT64_MAX, buf);
  CHECK(std::string(buf.data(), m) == "18446744073709551615\n");
}

TEST_CASE("Error lines start with ERR, say why and end with a newline", "[protocol]") {
  const primeloop::protocol::error_lines lines(1000, 64);
  for (int e = 1; e <= static_cast<int>(primeloop::last_errc); ++e) {
    const auto text = lines[static_cast<errc>(e)];
    INFO(text);
    CHECK(text.substr(0, 4) == "ERR ");
    CHECK(text.size() > 10);
    CHECK(text.back() == '\n');
    CHECK(text.find('\n') == text.size() - 1);
  }
  CHECK(lines[errc::too_large].find("1000") != std::string_view::npos);
  CHECK(lines[errc::line_too_long].find("64") != std::string_view::npos);
}

TEST_CASE("The framer splits lines and drops one carriage return", "[protocol]") {
  line_framer f(64);
  const auto out = feed(f, "1\n22\r\n\n333\r\r\n4");
  CHECK(out.lines == std::vector<std::string>{"1", "22", "", "333\r"});
  CHECK_FALSE(out.too_long);
  CHECK(f.buffered() == 1);  // "4" waits for its newline
}

TEST_CASE("The framer gives the same lines whatever the chunking", "[protocol]") {
  std::string stream;
  std::vector<std::string> expected;
  for (int i = 1; i <= 3000; ++i) {
    stream += std::to_string(i) + (i % 3 == 0 ? "\r\n" : "\n");
    expected.push_back(std::to_string(i));
  }
  for (std::size_t chunk : {1UL, 2UL, 3UL, 7UL, 100UL, 4096UL, 65536UL}) {
    line_framer f(64);
    INFO("chunk " << chunk);
    CHECK(feed(f, stream, chunk).lines == expected);
  }
}

TEST_CASE("A line over the limit is an error, ended or not", "[protocol]") {
  SECTION("without a newline, found as soon as the limit is passed") {
    line_framer f(16);
    const auto out = feed(f, std::string(100, '7'), 5);
    CHECK(out.too_long);
    CHECK(out.lines.empty());
  }
  SECTION("with a newline") {
    line_framer f(16);
    const auto out = feed(f, "1\n" + std::string(17, '7') + "\n2\n");
    CHECK(out.lines == std::vector<std::string>{"1"});
    CHECK(out.too_long);
  }
  SECTION("a line of exactly the limit, with \\r\\n, is fine") {
    line_framer f(16);
    const auto out = feed(f, std::string(16, '7') + "\r\n", 3);
    CHECK(out.lines == std::vector<std::string>{std::string(16, '7')});
    CHECK_FALSE(out.too_long);
  }
}

TEST_CASE("The framer's memory does not grow with the stream", "[protocol]") {
  line_framer f(1024);
  const auto capacity = f.capacity();
  std::string stream;
  for (int i = 0; i < 100'000; ++i) stream += "12345\n";
  const auto out = feed(f, stream, 1000);
  CHECK(out.lines.size() == 100'000);
  CHECK(f.capacity() == capacity);
  CHECK(capacity <= 8192);
}

TEST_CASE("A bare number is handed out only before any newline", "[protocol]") {
  SECTION("a client that never sent a newline") {
    line_framer f(64);
    CHECK(feed(f, "1000").lines.empty());
    CHECK_FALSE(f.seen_newline());
    const auto bare = f.take_bare();
    REQUIRE(bare);
    CHECK(*bare == "1000");
    CHECK(f.buffered() == 0);
    CHECK_FALSE(f.take_bare());
  }
  SECTION("a line client's partial line waits for its newline") {
    line_framer f(64);
    CHECK(feed(f, "5\n12").lines == std::vector<std::string>{"5"});
    CHECK_FALSE(f.take_bare());
    CHECK(feed(f, "34\n").lines == std::vector<std::string>{"1234"});
  }
}
