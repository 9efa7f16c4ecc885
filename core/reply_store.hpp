#pragma once
/// The replies of one connection in request order, whatever its protocol: a slot per request,
/// filled when its answer comes (in any order), taken in request order. A ring that grows to the
/// connection's pipeline limit and is then reused, each slot keeping its string's capacity: after
/// the first few requests a reply allocates nothing. Pure, like the codecs that own it.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace primeloop::protocol {

/// Replies in request order; tags are consecutive request numbers.
class reply_store {
 public:
  using clock = std::chrono::steady_clock;

  /// Appends an empty slot and returns its tag. meta is the codec's own note on the request
  /// (the HTTP codec keeps the version and keep-alive there).
  std::uint64_t push(std::uint8_t meta = 0);
  /// The slot's bytes, emptied, for the reply to be written into; the slot is ready then.
  [[nodiscard]] std::string& fill(std::uint64_t tag);

  /// True when the slot of tag exists and has no reply yet.
  [[nodiscard]] bool pending(std::uint64_t tag) const noexcept;
  [[nodiscard]] std::uint8_t meta(std::uint64_t tag) const noexcept { return at(tag).meta; }
  /// The bytes of the reply in slot tag (0 while it has none).
  [[nodiscard]] std::size_t bytes(std::uint64_t tag) const noexcept { return at(tag).bytes.size(); }
  /// When the request of tag was dispatched (for the latency histogram).
  void set_started(std::uint64_t tag, clock::time_point t) noexcept { at(tag).started = t; }
  [[nodiscard]] clock::time_point started(std::uint64_t tag) const noexcept {
    return at(tag).started;
  }

  /// Appends the ready replies at the head to out and removes them; returns how many.
  std::size_t take_ready(std::string& out);
  [[nodiscard]] bool head_ready() const noexcept { return size_ > 0 && slots_[head_].ready; }
  /// Requests without a reply taken yet.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Every slot ever pushed: the requests framed so far.
  [[nodiscard]] std::uint64_t pushed() const noexcept { return next_tag_; }

 private:
  struct slot {
    std::string bytes;
    clock::time_point started{};
    std::uint8_t meta = 0;
    bool ready = false;
  };
  [[nodiscard]] std::size_t index(std::uint64_t tag) const noexcept {
    return (head_ + static_cast<std::size_t>(tag - (next_tag_ - size_))) % slots_.size();
  }
  [[nodiscard]] slot& at(std::uint64_t tag) noexcept { return slots_[index(tag)]; }
  [[nodiscard]] const slot& at(std::uint64_t tag) const noexcept { return slots_[index(tag)]; }
  void grow();

  std::vector<slot> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::uint64_t next_tag_ = 0;
};

}  // namespace primeloop::protocol
