#pragma once
/// GET /live.json: the figures the live page draws, as one small JSON object. Formatting only,
/// from a plain struct the server fills from its stats; durations in seconds.
#include <cstdint>
#include <string>
#include <string_view>

namespace primeloop {

/// The oldest long request in flight: one whose estimated cost reaches the server's offload
/// threshold (--offload-above; the live page's control sends one).
struct live_long_request {
  bool running = false;  ///< such a request is in flight
  std::uint64_t n = 0;   ///< its n (0 when not running)
  double elapsed = 0;    ///< seconds since it went to the executor (0 when not running)
};

/// What the page shows; every rate and percentile is of the last whole second.
struct live_figures {
  double uptime = 0;          ///< seconds since the server started (the page's time axis check)
  std::string_view executor;  ///< inline, threads or processes
  std::uint64_t rps = 0;      ///< requests answered in the last second
  double latency_p50 = 0;     ///< seconds, of requests answered in the last second
  double latency_p99 = 0;
  double lag_p99 = 0;  ///< loop lag, seconds (server/loop_lag.hpp)
  double lag_max = 0;
  std::uint64_t busy = 0;  ///< workers computing now (inline: the loop itself, 0 or 1)
  std::uint64_t workers = 0;
  std::uint64_t queued = 0;  ///< requests waiting for a worker
  std::uint64_t in_flight = 0;
  live_long_request long_request;
};

/// The Content-Type of /live.json.
inline constexpr std::string_view live_json_content_type = "application/json";

/// The document, one line, for example:
/// {"uptime":12.5,"executor":"threads","rps":41234,"latency":{"p50":0.00012,"p99":0.0011},
///  "loop_lag":{"p99":8e-05,"max":0.0002},"workers":{"busy":1,"total":4},"queued":0,
///  "in_flight":3,"long_request":{"running":true,"n":100000,"elapsed":1.25}}
/// A figure that is not finite is written 0 (JSON has no NaN nor infinity).
[[nodiscard]] std::string format_live_json(const live_figures& f);

}  // namespace primeloop
