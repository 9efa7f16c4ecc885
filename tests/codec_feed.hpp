#pragma once
/// Feeding a protocol codec (core/codec.hpp) bytes the way a connection does, without a socket:
/// the codec tests drive both codecs through it.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.hpp"

namespace primeloop::test {

/// Every event the codec returned for a stream, and the replies taken in order.
struct transcript {
  std::vector<protocol::event> events;
  /// The requests' n, in order.
  [[nodiscard]] std::vector<std::uint64_t> requests() const {
    std::vector<std::uint64_t> out;
    for (const auto& ev : events) {
      if (ev.what == protocol::event::kind::request) out.push_back(ev.n);
    }
    return out;
  }
};

/// Feeds bytes in reads of at most chunk bytes, taking every event after each read, as the
/// connection does; stops once the codec is done.
inline transcript feed(protocol::codec& c, std::string_view bytes, std::size_t chunk = 1 << 20) {
  transcript out;
  for (;;) {
    for (auto ev = c.next(); ev.what != protocol::event::kind::need_more; ev = c.next()) {
      out.events.push_back(ev);
    }
    if (bytes.empty() || c.done()) return out;
    const auto space = c.prepare();
    const std::size_t n = std::min({chunk, space.size(), bytes.size()});
    std::memcpy(space.data(), bytes.data(), n);
    c.commit(n);
    bytes.remove_prefix(n);
  }
}

/// Answers every request of t with value n * 10 (or error e), then takes what is ready.
inline std::string answer_all(protocol::codec& c, const transcript& t, errc e = errc{}) {
  for (const auto& ev : t.events) {
    if (ev.what == protocol::event::kind::request) c.complete(ev.tag, ev.n * 10, e);
  }
  std::string out;
  c.replies().take_ready(out);
  return out;
}

}  // namespace primeloop::test
