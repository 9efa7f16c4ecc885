#include "core/report_format.hpp"

namespace primeloop {

double us(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e3;
}

double secs(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e9;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace primeloop
