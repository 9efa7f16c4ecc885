// The line protocol's codec (core/line_codec.hpp) without a socket: every framing edge and
// every reply shape, and the ordered reply store (core/reply_store.hpp) under it.
#include "core/line_codec.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "codec_feed.hpp"

using primeloop::errc;
using primeloop::protocol::end_rule;
using primeloop::protocol::error_lines;
using primeloop::protocol::event;
using primeloop::protocol::line_codec;
using primeloop::protocol::reply_store;
using primeloop::test::answer_all;
using primeloop::test::feed;

namespace {

using kind = event::kind;
using numbers = std::vector<std::uint64_t>;

const error_lines errors(1000, 16);

}  // namespace

TEST_CASE("The line codec frames requests however the stream is split", "[line_codec]") {
  for (const std::size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    INFO("reads of " << chunk);
    line_codec c(errors, 1000, 16);
    const auto t = feed(c, "10\n20\r\n3\n", chunk);
    CHECK(t.requests() == numbers{10, 20, 3});
    CHECK(c.buffered() == 0);
    CHECK_FALSE(c.done());
  }
}

TEST_CASE("The line codec answers pipelined requests in request order", "[line_codec]") {
  line_codec c(errors, 1000, 16);
  const auto t = feed(c, "1\n2\n3\n");
  REQUIRE(t.events.size() == 3);
  // The second answer first: nothing can go out before the first.
  c.complete(t.events[1].tag, 3, errc{});
  std::string out;
  CHECK(c.replies().take_ready(out) == 0);
  c.complete(t.events[0].tag, 2, errc{});
  c.complete(t.events[2].tag, 5, errc{});
  CHECK(c.replies().take_ready(out) == 3);
  CHECK(out == "2\n3\n5\n");
  CHECK(c.replies().empty());
}

TEST_CASE("The line codec answers bad input with an ERR line in its place and reads on",
          "[line_codec]") {
  line_codec c(errors, 1000, 16);
  const auto t = feed(c, "abc\n\n-4\n0\n1001\n7\n");
  REQUIRE(t.events.size() == 6);
  const std::vector<errc> want{errc::not_a_number, errc::empty_line, errc::not_positive,
                               errc::not_positive, errc::too_large};
  for (std::size_t i = 0; i < want.size(); ++i) {
    CHECK(t.events[i].what == kind::replied);
    CHECK(t.events[i].error == want[i]);
  }
  CHECK(t.events[5].what == kind::request);
  CHECK_FALSE(c.done());
  std::string want_text;
  for (const errc e : want) want_text += errors[e];
  CHECK(answer_all(c, t) == want_text + "70\n");
  CHECK(errors[errc::too_large] == "ERR n is too large: the limit is 1000\n");
}

TEST_CASE("The line codec formats each error of a computation as its ERR line", "[line_codec]") {
  for (const errc e : {errc::busy, errc::timeout, errc::worker_died, errc::shutting_down}) {
    line_codec c(errors, 1000, 16);
    const auto t = feed(c, "5\n");
    CHECK(answer_all(c, t, e) == std::string(errors[e]));
  }
}

TEST_CASE("A line over the limit is a fatal reply and the codec reads no more", "[line_codec]") {
  for (const std::size_t chunk : {1u, 5u, 1000u}) {
    INFO("reads of " << chunk);
    line_codec c(errors, 1000, 16);
    const auto t = feed(c, "1\n" + std::string(40, '7') + "\n2\n", chunk);
    REQUIRE(t.events.size() == 2);
    CHECK(t.events[1].what == kind::replied);
    CHECK(t.events[1].error == errc::line_too_long);
    CHECK(c.done());
    CHECK(answer_all(c, t) == "10\nERR line too long: no newline within 16 bytes, closing\n");
  }
}

TEST_CASE("A bare number is a request once nothing more is on its way", "[line_codec]") {
  line_codec c(errors, 1000, 16);
  auto t = feed(c, "12");
  CHECK(t.events.empty());
  REQUIRE(c.maybe_bare());
  CHECK(c.end_of_stream() == end_rule::wait_all);
  const auto ev = c.take_bare();
  CHECK(ev.what == kind::request);
  CHECK(ev.n == 12);
  CHECK_FALSE(c.maybe_bare());
  // Still a bare client: the next number is bare too.
  t = feed(c, "3\r");
  REQUIRE(c.maybe_bare());
  CHECK(c.take_bare().n == 3);
}

TEST_CASE("After a newline a partial line waits for its newline, and end of stream lingers",
          "[line_codec]") {
  line_codec c(errors, 1000, 16);
  const auto t = feed(c, "10\n2");
  CHECK(t.requests() == numbers{10});
  CHECK(c.buffered() == 1);
  CHECK_FALSE(c.maybe_bare());
  CHECK(c.end_of_stream() == end_rule::linger);
  CHECK(feed(c, "0\n").requests() == numbers{20});
}

TEST_CASE("The line codec's last word is the ERR line of the limit that passed", "[line_codec]") {
  const error_lines timed(1000, 16, std::chrono::seconds(2), std::chrono::seconds(1));
  line_codec c(timed, 1000, 16);
  CHECK(c.last_word(errc::idle_timeout) == "ERR idle timeout: nothing received for 2 s, closing\n");
  CHECK(c.last_word(errc::line_timeout) == "ERR line timeout: no newline within 1 s, closing\n");
  CHECK_FALSE(c.linger_at_close());
}

TEST_CASE("The reply store reuses its slots and keeps request order past a wrap", "[reply_store]") {
  reply_store r;
  std::string out;
  for (std::uint64_t round = 0; round < 5; ++round) {
    std::vector<std::uint64_t> tags;
    for (int i = 0; i < 6; ++i) tags.push_back(r.push(static_cast<std::uint8_t>(i)));
    for (auto it = tags.rbegin(); it != tags.rend(); ++it) {
      CHECK(r.pending(*it));
      CHECK(r.meta(*it) == *it - tags.front());
      r.fill(*it) = std::to_string(*it);
      CHECK_FALSE(r.pending(*it));
    }
    r.take_ready(out);
    CHECK(r.empty());
  }
  CHECK(r.pushed() == 30);
  CHECK(out.substr(0, 6) == "012345");
  CHECK_FALSE(r.pending(30));
}
