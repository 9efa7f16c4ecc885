#pragma once
/// The line protocol as a codec (docs/protocol.md): a request is a decimal number and a
/// newline, its reply the prime and a newline, or one readable ERR line. Pure, no I/O.
#include <cstdint>
#include <string>

#include "core/codec.hpp"
#include "core/protocol.hpp"

namespace primeloop::protocol {

class line_codec final : public codec {
 public:
  /// errors are the server's precomputed ERR lines; they outlive the codec.
  line_codec(const error_lines& errors, std::uint64_t max_n, std::size_t max_line);

  [[nodiscard]] std::span<char> prepare() override { return framer_.prepare(); }
  void commit(std::size_t n) override { framer_.commit(n); }
  [[nodiscard]] event next() override;
  [[nodiscard]] std::size_t buffered() const override { return framer_.buffered(); }

  /// A client that has never sent a newline sends bare numbers: what it sent is a request
  /// once nothing more is on its way.
  [[nodiscard]] bool maybe_bare() const override;
  [[nodiscard]] event take_bare() override;
  /// A bare client's end of stream completes its request and it waits for every answer; a
  /// line client's end of stream is its leaving.
  [[nodiscard]] end_rule end_of_stream() const override;

  void complete(std::uint64_t tag, std::uint64_t value, errc e) override;
  [[nodiscard]] std::string last_word(errc why) const override;

 private:
  event request_of(std::string_view line);
  event reply(errc e);

  const error_lines& errors_;
  std::uint64_t max_n_;
  line_framer framer_;
};

}  // namespace primeloop::protocol
