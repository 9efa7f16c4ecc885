#include "core/reply_store.hpp"

#include <utility>

namespace primeloop::protocol {

std::uint64_t reply_store::push(std::uint8_t meta) {
  if (size_ == slots_.size()) grow();
  slot& s = slots_[(head_ + size_) % slots_.size()];
  s.bytes.clear();  // keeps its capacity: the ring's strings are reused
  s.started = {};
  s.meta = meta;
  s.ready = false;
  ++size_;
  return next_tag_++;
}

std::string& reply_store::fill(std::uint64_t tag) {
  slot& s = at(tag);
  s.ready = true;
  s.bytes.clear();
  return s.bytes;
}

bool reply_store::pending(std::uint64_t tag) const noexcept {
  return tag >= next_tag_ - size_ && tag < next_tag_ && !at(tag).ready;
}

std::size_t reply_store::take_ready(std::string& out) {
  std::size_t n = 0;
  while (head_ready()) {
    out.append(slots_[head_].bytes);
    head_ = (head_ + 1) % slots_.size();
    --size_;
    ++n;
  }
  return n;
}

void reply_store::grow() {
  std::vector<slot> bigger(slots_.empty() ? 8 : slots_.size() * 2);
  for (std::size_t i = 0; i < size_; ++i)
    bigger[i] = std::move(slots_[(head_ + i) % slots_.size()]);
  slots_ = std::move(bigger);
  head_ = 0;
}

}  // namespace primeloop::protocol
