#include "clients/report.hpp"

#include <fmt/format.h>

namespace primeloop::clients {
namespace {

double us(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e3;
}

}  // namespace

std::string human_duration(std::chrono::nanoseconds d) {
  const double ns = static_cast<double>(d.count());
  if (ns < 1e6) return fmt::format("{:.0f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string format_header(output_format f) {
  if (f != output_format::csv) return {};
  return "second,requests,errors,p50_us,p99_us,max_us,long_active,long_completed\n";
}

std::string format_second(const second_sample& s, output_format f) {
  switch (f) {
    case output_format::csv:
      return fmt::format("{},{},{},{:.1f},{:.1f},{:.1f},{},{}\n", s.second, s.completed, s.errors,
                         us(s.p50), us(s.p99), us(s.max), s.long_active ? 1 : 0, s.long_completed);
    case output_format::json:
      return fmt::format(
          "{{\"type\":\"second\",\"second\":{},\"requests\":{},\"errors\":{},\"p50_us\":{:.1f},"
          "\"p99_us\":{:.1f},\"max_us\":{:.1f},\"long_active\":{},\"long_completed\":{}}}\n",
          s.second, s.completed, s.errors, us(s.p50), us(s.p99), us(s.max), s.long_active,
          s.long_completed);
    case output_format::text:
      break;
  }
  return fmt::format("{:>4} s: {:>8} req  p50 {:>9}  p99 {:>9}{}{}\n", s.second, s.completed,
                     human_duration(s.p50), human_duration(s.p99),
                     s.errors ? fmt::format("  {} ERR", s.errors) : "",
                     s.long_active ? "  (long request in flight)" : "");
}

std::string format_summary(const load_result& r, output_format f) {
  const auto& c = r.config;
  const auto& h = r.total;
  switch (f) {
    case output_format::csv:
      return fmt::format(
          "\nconnections,depth,n,duration_s,total,errors,mean_rps,p50_us,p99_us,max_us,"
          "unfinished,oldest_unfinished_us,long_n,long_completed,connection_failures\n"
          "{},{},{},{},{},{},{:.1f},{:.1f},{:.1f},{:.1f},{},{:.1f},{},{},{}\n",
          c.connections, c.depth, c.n, c.duration_s, r.completed, r.errors, r.mean_rps(),
          us(h.percentile(0.5)), us(h.percentile(0.99)), us(h.max()), r.unfinished,
          us(r.oldest_unfinished), c.long_n.value_or(0), r.long_completed, r.connection_failures);
    case output_format::json:
      return fmt::format(
          "{{\"type\":\"summary\",\"connections\":{},\"depth\":{},\"n\":{},\"duration_s\":{},"
          "\"total\":{},\"errors\":{},\"mean_rps\":{:.1f},\"p50_us\":{:.1f},\"p99_us\":{:.1f},"
          "\"max_us\":{:.1f},\"unfinished\":{},\"oldest_unfinished_us\":{:.1f},\"long_n\":{},"
          "\"long_completed\":{},\"connection_failures\":{}}}\n",
          c.connections, c.depth, c.n, c.duration_s, r.completed, r.errors, r.mean_rps(),
          us(h.percentile(0.5)), us(h.percentile(0.99)), us(h.max()), r.unfinished,
          us(r.oldest_unfinished), c.long_n.value_or(0), r.long_completed, r.connection_failures);
    case output_format::text:
      break;
  }
  std::string out = fmt::format(
      "summary: {} connections x depth {}, n={}, {} s: total {} requests, mean {:.0f} req/s, "
      "latency p50 {} p99 {} max {}\n",
      c.connections, c.depth, c.n, c.duration_s, r.completed, r.mean_rps(),
      human_duration(h.percentile(0.5)), human_duration(h.percentile(0.99)),
      human_duration(h.max()));
  if (r.errors) out += fmt::format("  {} ERR replies, first: {}\n", r.errors, r.first_error_reply);
  if (r.unfinished && r.oldest_unfinished > std::chrono::milliseconds{10}) {
    out += fmt::format("  {} requests unanswered at the end, the oldest for {}\n", r.unfinished,
                       human_duration(r.oldest_unfinished));
  }
  if (c.long_n) {
    out += fmt::format("  long request n={}: {} answered\n", *c.long_n, r.long_completed);
  }
  if (r.connection_failures) {
    out +=
        fmt::format("  {} connections failed, first: {}\n", r.connection_failures, r.first_failure);
  }
  return out;
}

}  // namespace primeloop::clients
