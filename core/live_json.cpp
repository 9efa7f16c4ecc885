#include "core/live_json.hpp"

#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace primeloop {
namespace {

double finite(double v) noexcept {
  return std::isfinite(v) ? v : 0.0;
}

/// A JSON string's contents: quotes, backslashes and control characters escaped.
std::string escaped(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string format_live_json(const live_figures& f) {
  std::string out;
  fmt::format_to(std::back_inserter(out),
                 "{{\"uptime\":{},\"executor\":\"{}\",\"rps\":{},"
                 "\"latency\":{{\"p50\":{},\"p99\":{}}},\"loop_lag\":{{\"p99\":{},\"max\":{}}},"
                 "\"workers\":{{\"busy\":{},\"total\":{}}},\"queued\":{},\"in_flight\":{},"
                 "\"long_request\":{{\"running\":{},\"n\":{},\"elapsed\":{}}}}}",
                 finite(f.uptime), escaped(f.executor), f.rps, finite(f.latency_p50),
                 finite(f.latency_p99), finite(f.lag_p99), finite(f.lag_max), f.busy, f.workers,
                 f.queued, f.in_flight, f.long_request.running, f.long_request.n,
                 finite(f.long_request.elapsed));
  return out;
}

}  // namespace primeloop
