#include "server/metrics.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <fmt/format.h>

#include "server/live_page.hpp"
#include "server/process_metrics.hpp"

namespace primeloop {
namespace {

std::uint64_t load(const std::atomic<std::uint64_t>& a) noexcept {
  return a.load(std::memory_order_relaxed);
}

/// Appends the HELP and TYPE lines of one metric.
void head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP primeloop_{} {}\n# TYPE primeloop_{} {}\n", name,
                 help, name, type);
}

/// A metric with no labels: its HELP, TYPE and one sample.
void single(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
  head(out, name, type, help);
  fmt::format_to(std::back_inserter(out), "primeloop_{} {}\n", name, value);
}

/// Escapes a label value (backslash, double quote, newline).
std::string label(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

}  // namespace

std::string_view outcome_name(errc e) noexcept {
  if (e == errc{}) return "answered";
  switch (e) {
    case errc::empty_line:
      return "empty_line";
    case errc::not_a_number:
      return "not_a_number";
    case errc::not_positive:
      return "not_positive";
    case errc::too_large:
      return "too_large";
    case errc::line_too_long:
      return "line_too_long";
    case errc::busy:
      return "busy";
    case errc::worker_died:
      return "worker_died";
    case errc::timeout:
      return "timeout";
    case errc::shutting_down:
      return "shutting_down";
    case errc::too_many_connections:
      return "too_many_connections";
    case errc::cancelled:
      return "cancelled";
    case errc::internal:
      return "internal";
    case errc::idle_timeout:
      return "idle_timeout";
    case errc::line_timeout:
      return "line_timeout";
  }
  return "unknown";
}

std::string format_metrics(const stats_counters& c, const metrics_info& info) {
  std::string out;
  out.reserve(4096);
  auto it = std::back_inserter(out);

  head(out, "requests_total", "counter",
       "Requests by how they ended: answered, or the error they were answered with (both "
       "protocols; cancelled: the client left before the answer).");
  for (std::size_t i = 0; i < c.outcomes.size(); ++i) {
    fmt::format_to(it, "primeloop_requests_total{{outcome=\"{}\"}} {}\n",
                   outcome_name(static_cast<errc>(i)), load(c.outcomes[i]));
  }

  head(out, "request_duration_seconds", "histogram",
       "Time from dispatch to result, on the loop, of requests that were computed.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= latency_histogram::bounds.size(); ++i) {
    cumulative += c.latency.bucket(i);
    if (i < latency_histogram::bounds.size()) {
      fmt::format_to(it, "primeloop_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                     latency_histogram::bounds[i], cumulative);
    } else {
      fmt::format_to(it, "primeloop_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n",
                     cumulative);
    }
  }
  fmt::format_to(it, "primeloop_request_duration_seconds_sum {}\n", c.latency.sum_seconds());
  fmt::format_to(it, "primeloop_request_duration_seconds_count {}\n", cumulative);

  // Inline computes on the loop: whatever is in flight is the loop computing (as the stats
  // line works it out, server/stats.cpp).
  const bool loop = info.source == stats_source::loop;
  const auto in_flight = load(c.in_flight);
  single(out, "in_flight_requests", "gauge", "Requests accepted and not answered yet.", in_flight);
  single(out, "queued_requests", "gauge", "Requests waiting for a worker.", load(c.queued));
  single(out, "busy_workers", "gauge", "Workers computing now.",
         loop ? std::min<std::uint64_t>(in_flight, 1) : load(c.busy));
  single(out, "workers", "gauge", "Workers in the pool (inline: the loop itself).",
         loop ? 1 : load(c.workers));
  single(out, "worker_crashes_total", "counter",
         "Worker processes that died without being asked to (each is replaced).", load(c.crashes));
  single(out, "worker_cancel_kills_total", "counter",
         "Worker processes killed on purpose to stop a request (a gone client, the request "
         "timeout); each is replaced.",
         load(c.kills));

  head(out, "open_connections", "gauge", "Open connections by protocol.");
  const auto all = load(c.connections);
  const auto http = std::min(all, load(c.http_connections));
  fmt::format_to(it, "primeloop_open_connections{{protocol=\"line\"}} {}\n", all - http);
  fmt::format_to(it, "primeloop_open_connections{{protocol=\"http\"}} {}\n", http);

  head(out, "build_info", "gauge", "Always 1; the labels say what is running.");
  fmt::format_to(it, "primeloop_build_info{{version=\"{}\",executor=\"{}\",workload=\"{}\"}} 1\n",
                 label(info.version), label(info.executor), label(info.workload));
  return out;
}

http::page status_pages::readyz() const {
  http::page p;
  if (not_ready_) {
    p.head.status = 503;
    p.body = "not ready: shutting down\n";
  } else if (load(counters_.queued) >= queue_limit_) {
    p.head.status = 503;
    p.head.extra_headers = "Retry-After: 1\r\n";
    p.body = "not ready: the queue is full\n";
  } else if (load(counters_.connections) >= max_connections_) {
    p.head.status = 503;
    p.head.extra_headers = "Retry-After: 1\r\n";
    p.body = "not ready: too many connections\n";
  } else {
    p.body = "ready\n";
  }
  return p;
}

http::page status_pages::metrics() const {
  http::page p;
  p.head.content_type = metrics_content_type;
  p.body = format_metrics(counters_, info_);
  p.body += lag_.metrics();
  p.body += format_process_metrics();
  return p;
}

http::page status_pages::live_page() const {
  http::page p;
  p.head.content_type = live_page_content_type;
  p.body = primeloop::live_page();
  return p;
}

http::page status_pages::live_json() const {
  http::page p;
  p.head.content_type = live_json_content_type;
  // The page polls it several times a second: every answer must be fresh.
  p.head.extra_headers = "Cache-Control: no-store\r\n";
  // One line, as every body the server sends ends (curl prints it whole).
  p.body = format_live_json(live_()) + '\n';
  return p;
}

}  // namespace primeloop
