#pragma once
/// The ordered responses of one HTTP connection: a slot per request, filled in any order,
/// written in request order (as reply_queue does for the line protocol, with whole responses).
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "core/http_response.hpp"

namespace primeloop {

/// Responses in request order; tags are consecutive request numbers. Loop thread only.
class http_replies {
 public:
  using clock = std::chrono::steady_clock;

  /// Appends an empty slot for a request of HTTP/1.<minor> and returns its tag.
  std::uint64_t push(int minor_version, bool keep_alive) {
    slots_.push_back({});
    slots_.back().minor_version = minor_version;
    slots_.back().keep_alive = keep_alive;
    return first_tag_ + slots_.size() - 1;
  }
  /// Fills the slot of tag with a response; the connection header follows the request's.
  void fill(std::uint64_t tag, http::response r, std::string_view body) {
    slot& s = at(tag);
    r.keep_alive = s.keep_alive;
    r.minor_version = s.minor_version;
    http::append_response(s.bytes, r, body);
    s.ready = true;
  }
  /// True when the slot of tag exists and has no response yet.
  [[nodiscard]] bool pending(std::uint64_t tag) const {
    return tag >= first_tag_ && tag - first_tag_ < slots_.size() && !slots_[index(tag)].ready;
  }
  /// Records when the request of tag was dispatched (for the latency histogram).
  void set_started(std::uint64_t tag, clock::time_point t) { at(tag).started = t; }
  [[nodiscard]] clock::time_point started(std::uint64_t tag) const {
    return slots_[index(tag)].started;
  }
  /// Appends the ready responses at the head to out and removes them; returns how many.
  std::size_t take_ready(std::string& out) {
    std::size_t n = 0;
    while (!slots_.empty() && slots_.front().ready) {
      out.append(slots_.front().bytes);
      slots_.pop_front();
      ++first_tag_;
      ++n;
    }
    return n;
  }
  [[nodiscard]] bool head_ready() const { return !slots_.empty() && slots_.front().ready; }
  [[nodiscard]] std::size_t size() const { return slots_.size(); }
  [[nodiscard]] bool empty() const { return slots_.empty(); }

 private:
  struct slot {
    std::string bytes;
    clock::time_point started{};
    int minor_version = 1;
    bool keep_alive = true;
    bool ready = false;
  };
  [[nodiscard]] std::size_t index(std::uint64_t tag) const {
    return static_cast<std::size_t>(tag - first_tag_);
  }
  slot& at(std::uint64_t tag) { return slots_[index(tag)]; }

  std::deque<slot> slots_;
  std::uint64_t first_tag_ = 0;
};

}  // namespace primeloop
