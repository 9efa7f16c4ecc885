#include "benchmarks/harness/listening_line.hpp"

#include <algorithm>
#include <charconv>

namespace primeloop::harness {

std::optional<listen_address> parse_listening_line(std::string_view line) {
  constexpr std::string_view prefix = "listening on ";
  if (!line.starts_with(prefix)) return std::nullopt;
  line.remove_prefix(prefix.size());
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::string_view address = line.substr(0, line.find(' '));
  std::string_view host;
  std::string_view port;
  if (address.starts_with('[')) {
    const auto close = address.find(']');
    if (close == std::string_view::npos || address.substr(close + 1, 1) != ":") return std::nullopt;
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc{} || end != port.data() + port.size() ||
      value == 0 || value > 65535) {
    return std::nullopt;
  }
  return listen_address{std::string(host), static_cast<std::uint16_t>(value)};
}

std::optional<std::string_view> listening_field(std::string_view line, std::string_view name) {
  for (std::size_t at = 0; at < line.size();) {
    const auto end = std::min(line.find(' ', at), line.size());
    const auto word = line.substr(at, end - at);
    if (word.size() > name.size() && word.starts_with(name) && word[name.size()] == '=') {
      auto value = word.substr(name.size() + 1);
      if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
      return value;
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> listening_max_n(std::string_view line) {
  const auto value = listening_field(line, "max-n");
  if (!value) return std::nullopt;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc{} || end != value->data() + value->size()) return std::nullopt;
  return n;
}

}  // namespace primeloop::harness
