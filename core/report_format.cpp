#include "core/report_format.hpp"

namespace primeloop {

double microseconds(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e3;
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
