#pragma once
/// The ordered replies of one connection: a slot per request, filled when its result arrives in
/// any order, written in request order. A ring that grows to the connection's pipeline limit and
/// is then reused: no allocation per request.
#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/protocol.hpp"

namespace primeloop {

/// Replies in request order; tags are consecutive request numbers.
class reply_queue {
 public:
  /// Appends an empty slot and returns its tag.
  std::uint64_t push() {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) % slots_.size()] = slot{};
    ++size_;
    return next_tag_++;
  }
  /// Fills the slot of tag with "value\n".
  void set_value(std::uint64_t tag, std::uint64_t value) {
    slot& s = at(tag);
    s.len = static_cast<std::uint8_t>(
        protocol::format_value(value, std::span<char, protocol::max_value_reply>(s.buf)));
    s.text = {};
    s.ready = true;
  }
  /// Fills the slot of tag with a fixed text (an ERR line that outlives the queue).
  void set_text(std::uint64_t tag, std::string_view text) {
    slot& s = at(tag);
    s.text = text;
    s.ready = true;
  }
  /// Records when the request of tag was dispatched (for the latency histogram).
  void set_started(std::uint64_t tag, std::chrono::steady_clock::time_point t) {
    at(tag).started = t;
  }
  /// When the request of tag was dispatched, as set_started recorded it.
  [[nodiscard]] std::chrono::steady_clock::time_point started(std::uint64_t tag) const {
    return slots_[index(tag)].started;
  }
  /// True when the slot of tag has not been answered yet.
  [[nodiscard]] bool pending(std::uint64_t tag) const {
    return tag >= first_tag() && tag < next_tag_ && !slots_[index(tag)].ready;
  }
  /// Appends the ready replies at the head to out and removes them; returns how many.
  std::size_t take_ready(std::string& out) {
    std::size_t n = 0;
    while (size_ > 0 && slots_[head_].ready) {
      const slot& s = slots_[head_];
      if (s.text.empty()) {
        out.append(s.buf.data(), s.len);
      } else {
        out.append(s.text);
      }
      head_ = (head_ + 1) % slots_.size();
      --size_;
      ++n;
    }
    return n;
  }
  [[nodiscard]] bool head_ready() const { return size_ > 0 && slots_[head_].ready; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

 private:
  struct slot {
    std::array<char, protocol::max_value_reply> buf{};
    std::uint8_t len = 0;
    bool ready = false;
    std::string_view text;
    std::chrono::steady_clock::time_point started{};
  };

  [[nodiscard]] std::uint64_t first_tag() const { return next_tag_ - size_; }
  [[nodiscard]] std::size_t index(std::uint64_t tag) const {
    return (head_ + static_cast<std::size_t>(tag - first_tag())) % slots_.size();
  }
  slot& at(std::uint64_t tag) { return slots_[index(tag)]; }
  void grow() {
    std::vector<slot> bigger(slots_.empty() ? 8 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = slots_[(head_ + i) % slots_.size()];
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<slot> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::uint64_t next_tag_ = 0;
};

}  // namespace primeloop
