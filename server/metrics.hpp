#pragma once
/// GET /metrics: the stats counters in Prometheus' text exposition format 0.0.4. Formatting
/// only; the counters stay where the stats line reads them (server/stats.hpp).
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/http_codec.hpp"
#include "core/live_json.hpp"
#include "server/loop_lag.hpp"
#include "server/stats.hpp"

namespace primeloop {

/// The Content-Type of the text exposition format.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// What /metrics says about the server beyond its counters.
struct metrics_info {
  std::string_view version;                  ///< primeloop's version
  std::string_view executor;                 ///< inline, threads or processes
  std::string_view workload;                 ///< naive, trial, sieve or fast
  stats_source source = stats_source::pool;  ///< inline: the loop is the one worker
};

/// Every metric, prefixed primeloop_, each with its HELP and TYPE lines.
[[nodiscard]] std::string format_metrics(const stats_counters& counters, const metrics_info& info);

/// The name of an outcome of a request as /metrics labels it: "answered", or the error's name
/// (busy, timeout, cancelled, too_large, ...).
[[nodiscard]] std::string_view outcome_name(errc e) noexcept;

/// The HTTP face's pages that report on the server: /readyz, /metrics, the live page and
/// /live.json (core/http_codec.hpp). Called on the loop thread.
class status_pages final : public http::site {
 public:
  /// not_ready: shutdown has begun; queue_limit and max_connections: --queue-limit and
  /// --max-connections, at which /readyz says 503; lag: the loop's probe, in /metrics; live: the
  /// figures of /live.json, gathered when asked.
  status_pages(const stats_counters& counters, const metrics_info& info, const bool& not_ready,
               std::size_t queue_limit, std::size_t max_connections, const loop_lag& lag,
               std::function<live_figures()> live)
      : counters_(counters),
        info_(info),
        not_ready_(not_ready),
        queue_limit_(queue_limit),
        max_connections_(max_connections),
        lag_(lag),
        live_(std::move(live)) {}
  [[nodiscard]] http::page readyz() const override;
  /// The counters, the loop's lag histogram and the process_* metrics.
  [[nodiscard]] http::page metrics() const override;
  [[nodiscard]] http::page live_page() const override;
  [[nodiscard]] http::page live_json() const override;

 private:
  const stats_counters& counters_;
  const metrics_info& info_;
  const bool& not_ready_;
  std::size_t queue_limit_;
  std::size_t max_connections_;
  const loop_lag& lag_;
  std::function<live_figures()> live_;
};

}  // namespace primeloop
