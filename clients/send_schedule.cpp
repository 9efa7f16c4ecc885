#include "clients/send_schedule.hpp"

#include <cmath>
#include <stdexcept>

namespace primeloop::clients {

send_schedule::send_schedule(clock::time_point start, double rate, unsigned connections)
    : start_(start), rate_(rate), connections_(connections) {
  if (!(rate > 0) || !std::isfinite(rate)) {
    throw std::invalid_argument("the request rate must be a positive number of requests a second");
  }
  if (connections == 0) throw std::invalid_argument("the load needs at least one connection");
}

send_schedule::clock::time_point send_schedule::due(std::uint64_t k) const noexcept {
  // Computed from k each time rather than summed step by step, so rounding never accumulates:
  // request k of an hour-long run is due within a nanosecond of k / rate.
  const auto ns = std::llround(static_cast<long double>(k) * 1e9L / rate_);
  return start_ + std::chrono::nanoseconds{ns};
}

std::uint64_t send_schedule::due_by(clock::time_point t) const noexcept {
  if (t < start_) return 0;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count();
  // The estimate may be one off either way after rounding in due(); due() decides.
  auto k = static_cast<std::uint64_t>(static_cast<long double>(ns) * rate_ / 1e9L) + 1;
  while (k > 0 && due(k - 1) > t) --k;
  while (due(k) <= t) ++k;
  return k;
}

}  // namespace primeloop::clients
