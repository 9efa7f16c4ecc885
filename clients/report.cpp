#include "clients/report.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

namespace primeloop::clients {
namespace {

double us(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e3;
}

/// One named value of a machine-readable line: the CSV and JSON forms list the same fields in
/// the same order, so they are written from one list.
struct field {
  std::string_view name;
  std::string value;
};

std::string csv_header(const std::vector<field>& fields) {
  std::string out;
  for (const auto& f : fields) out += fmt::format("{}{}", out.empty() ? "" : ",", f.name);
  return out + "\n";
}

std::string csv_row(const std::vector<field>& fields) {
  std::string out;
  for (const auto& f : fields) out += fmt::format("{}{}", out.empty() ? "" : ",", f.value);
  return out + "\n";
}

std::string json_object(std::string_view type, const std::vector<field>& fields) {
  std::string out = fmt::format("{{\"type\":\"{}\"", type);
  for (const auto& f : fields) out += fmt::format(",\"{}\":{}", f.name, f.value);
  return out + "}\n";
}

std::string one_decimal(double v) {
  return fmt::format("{:.1f}", v);
}

std::string flag(bool v, output_format f) {
  if (f == output_format::json) return v ? "true" : "false";
  return v ? "1" : "0";
}

/// A latency in microseconds, or no value when there is none (JSON null, an empty CSV field).
std::string us_or_none(std::chrono::nanoseconds d, bool exists, output_format f) {
  if (exists) return one_decimal(us(d));
  return f == output_format::json ? "null" : "";
}

/// A latency for people: "-" when there is none, "at least" when it is a lower bound.
std::string shown(std::chrono::nanoseconds d, bool lower_bound, bool exists) {
  if (!exists) return "-";
  return (lower_bound ? ">= " : "") + human_duration(d);
}

}  // namespace

std::string human_duration(std::chrono::nanoseconds d) {
  const double ns = static_cast<double>(d.count());
  if (ns < 1e6) return fmt::format("{:.0f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

namespace {

/// The fields of one per-second line; JSON spells a flag as a boolean, CSV as 0/1. A second
/// without latencies has no percentiles: JSON null, an empty CSV field.
std::vector<field> second_fields(const second_sample& s, output_format f) {
  const bool has = s.has_latency();
  return {
      {"second", std::to_string(s.second)},
      {"requests", std::to_string(s.completed)},
      {"errors", std::to_string(s.errors)},
      {"p50_us", us_or_none(s.p50, has, f)},
      {"p99_us", us_or_none(s.p99, has, f)},
      {"max_us", us_or_none(s.max, has, f)},
      {"p50_lower_bound", flag(s.p50_lower_bound, f)},
      {"p99_lower_bound", flag(s.p99_lower_bound, f)},
      {"max_lower_bound", flag(s.max_lower_bound, f)},
      {"stuck", std::to_string(s.stuck)},
      {"long_active", flag(s.long_active, f)},
      {"long_completed", std::to_string(s.long_completed)},
  };
}

}  // namespace

std::string format_header(output_format f) {
  if (f != output_format::csv) return {};
  return csv_header(second_fields({}, f));
}

std::string format_second(const second_sample& s, output_format f) {
  switch (f) {
    case output_format::csv:
      return csv_row(second_fields(s, f));
    case output_format::json:
      return json_object("second", second_fields(s, f));
    case output_format::text:
      break;
  }
  const bool has = s.has_latency();
  return fmt::format("{:>4} s: {:>8} req  p50 {:>9}  p99 {:>9}{}{}{}\n", s.second, s.completed,
                     shown(s.p50, s.p50_lower_bound, has), shown(s.p99, s.p99_lower_bound, has),
                     s.errors ? fmt::format("  {} ERR", s.errors) : "",
                     s.stuck ? fmt::format("  {} unanswered", s.stuck) : "",
                     s.long_active ? "  (long request in flight)" : "");
}

std::string format_summary(const load_result& r, output_format f) {
  const auto& c = r.config;
  const auto& l = r.latency;
  const bool has = !l.empty();
  const std::vector<field> fields{
      {"connections", std::to_string(c.connections)},
      {"depth", std::to_string(c.depth)},
      {"n", std::to_string(c.n)},
      {"duration_s", std::to_string(c.duration_s)},
      {"elapsed_s", fmt::format("{:.3f}", std::chrono::duration<double>(r.elapsed).count())},
      {"interrupted", flag(r.interrupted, f)},
      {"total", std::to_string(r.completed)},
      {"errors", std::to_string(r.errors)},
      {"mean_rps", one_decimal(r.mean_rps())},
      {"p50_us", us_or_none(l.p50, has, f)},
      {"p99_us", us_or_none(l.p99, has, f)},
      {"max_us", us_or_none(l.max, has, f)},
      {"p50_lower_bound", flag(l.p50_lower_bound, f)},
      {"p99_lower_bound", flag(l.p99_lower_bound, f)},
      {"max_lower_bound", flag(l.max_lower_bound, f)},
      {"unfinished", std::to_string(r.unfinished)},
      {"oldest_unfinished_us", one_decimal(us(r.oldest_unfinished))},
      {"long_n", std::to_string(c.long_n.value_or(0))},
      {"long_completed", std::to_string(r.long_completed)},
      {"connection_failures", std::to_string(r.connection_failures)},
  };
  switch (f) {
    case output_format::csv:
      return fmt::format("\n{}{}", csv_header(fields), csv_row(fields));
    case output_format::json:
      return json_object("summary", fields);
    case output_format::text:
      break;
  }
  // Two lines, so that the summary fits 100 columns with the largest counts.
  const auto seconds =
      r.interrupted ? fmt::format("{:.1f} s", std::chrono::duration<double>(r.elapsed).count())
                    : fmt::format("{} s", c.duration_s);
  std::string out = fmt::format(
      "summary: {} connection{} x depth {}, n={}, {}: total {} requests, mean {:.0f} req/s\n"
      "  latency p50 {} p99 {} max {}\n",
      c.connections, c.connections == 1 ? "" : "s", c.depth, c.n, seconds, r.completed,
      r.mean_rps(), shown(l.p50, l.p50_lower_bound, has), shown(l.p99, l.p99_lower_bound, has),
      shown(l.max, l.max_lower_bound, has));
  if (r.interrupted) {
    out += fmt::format("  interrupted after {:.1f} of {} s: this is what was measured so far\n",
                       std::chrono::duration<double>(r.elapsed).count(), c.duration_s);
  }
  if (r.errors) out += fmt::format("  {} ERR replies, first: {}\n", r.errors, r.first_error_reply);
  if (r.unfinished && (l.waiting > 0 || r.oldest_unfinished > std::chrono::milliseconds{10})) {
    out += fmt::format(
        "  {} request{} unanswered at the end, the oldest for {}{}\n", r.unfinished,
        r.unfinished == 1 ? "" : "s", human_duration(r.oldest_unfinished),
        l.waiting > 0 ? fmt::format("; {} count with their wait so far ('>=')", l.waiting) : "");
  }
  if (c.long_n) {
    out += fmt::format("  long request n={}: {} answered\n", *c.long_n, r.long_completed);
  }
  if (r.connection_failures) {
    out += fmt::format("  {} connection{} failed, first: {}\n", r.connection_failures,
                       r.connection_failures == 1 ? "" : "s", r.first_failure);
  }
  return out;
}

}  // namespace primeloop::clients
