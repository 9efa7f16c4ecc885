#include "clients/report.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/report_format.hpp"

namespace primeloop::clients {
namespace {

/// One named value of a machine-readable line: the CSV and JSON forms list the same fields in
/// the same order, so they are written from one list.
struct field {
  std::string name;
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

}  // namespace

std::string human_duration(std::chrono::nanoseconds d) {
  const double ns = static_cast<double>(d.count());
  if (ns < 1e6) return fmt::format("{:.0f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string human_latency(std::chrono::nanoseconds d, bool lower_bound, bool exists) {
  if (!exists) return "-";
  return (lower_bound ? ">= " : "") + human_duration(d);
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  return whole ? fmt::format("{:.1f}%",
                             100.0 * static_cast<double>(part) / static_cast<double>(whole))
               : "-";
}

namespace {

/// `before`, then the three figures of a latency record (a second's sample, the run's figures)
/// in microseconds and which of them are lower bounds, then `after`: the same six columns in a
/// second's line and in the summary. No latency (has false): no percentiles, JSON null, an
/// empty CSV field.
template <class Figures>
std::vector<field> around_figures(std::vector<field> before, const Figures& x, bool has,
                                  output_format f, std::initializer_list<field> after) {
  before.insert(before.end(), {
                                  {"p50_us", us_or_none(x.p50, has, f)},
                                  {"p99_us", us_or_none(x.p99, has, f)},
                                  {"max_us", us_or_none(x.max, has, f)},
                                  {"p50_lower_bound", flag(x.p50_lower_bound, f)},
                                  {"p99_lower_bound", flag(x.p99_lower_bound, f)},
                                  {"max_lower_bound", flag(x.max_lower_bound, f)},
                              });
  before.insert(before.end(), after);
  return before;
}

/// The fields of one per-second line; JSON spells a flag as a boolean, CSV as 0/1.
std::vector<field> second_fields(const second_sample& s, output_format f) {
  return around_figures(
      {
          {"second", std::to_string(s.second)},
          {"requests", std::to_string(s.completed)},
          {"errors", std::to_string(s.errors)},
      },
      s, s.has_latency(), f,
      {
          {"stuck", std::to_string(s.stuck)},
          {"long_active", flag(s.long_active, f)},
          {"long_completed", std::to_string(s.long_completed)},
      });
}

/// The percentiles of an open-loop figure set as one JSON object ({"p50":..,"max":..}, in us)
/// and which of them are lower bounds.
struct tail {
  std::string_view name;
  std::chrono::nanoseconds value;
  bool lower_bound;
};

std::vector<tail> tails(const latency_figures& l) {
  return {{"p50", l.p50, l.p50_lower_bound},        {"p90", l.p90, l.p90_lower_bound},
          {"p99", l.p99, l.p99_lower_bound},        {"p99.9", l.p999, l.p999_lower_bound},
          {"p99.99", l.p9999, l.p9999_lower_bound}, {"max", l.max, l.max_lower_bound}};
}

std::string json_tails(const latency_figures& l) {
  std::string out;
  for (const auto& t : tails(l)) {
    out += fmt::format("{}\"{}\":{}", out.empty() ? "{" : ",", t.name,
                       us_or_none(t.value, !l.empty(), output_format::json));
  }
  return out + "}";
}

std::string json_lower_bounds(const latency_figures& l) {
  std::string out;
  for (const auto& t : tails(l)) {
    out += fmt::format("{}\"{}\":{}", out.empty() ? "{" : ",", t.name, t.lower_bound);
  }
  return out + "}";
}

/// One row of the open-loop text table: a label, then the six figures in fixed columns.
std::string text_tails(std::string_view label, const latency_figures& l) {
  std::string out = fmt::format("  {:<22}", label);
  for (const auto& t : tails(l)) {
    out += fmt::format("{:>11}", human_latency(t.value, t.lower_bound, !l.empty()));
  }
  return out + "\n";
}

/// The summary of an open-loop run: the closed loop's fields, then the corrected and
/// uncorrected tails, the schedule and the requests due during the long request. CSV has no
/// nested objects: it gets the tails as flat columns.
std::string format_open_loop_summary(const load_result& r, output_format f) {
  const auto& c = r.config;
  const auto& o = *r.open_loop;
  const auto& l = r.latency;
  const auto& u = o.latency_uncorrected;
  const auto& d = o.during_long_latency;
  auto fields = around_figures(
      {
          {"rate", one_decimal(o.rate)},
          {"connections", std::to_string(c.connections)},
          {"n", std::to_string(c.n)},
          {"duration_s", std::to_string(c.duration_s)},
          {"warmup_s", fmt::format("{:.3f}", std::chrono::duration<double>(c.warmup).count())},
          {"elapsed_s", fmt::format("{:.3f}", std::chrono::duration<double>(r.elapsed).count())},
          {"interrupted", flag(r.interrupted, f)},
          {"due", std::to_string(o.due)},
          {"sent", std::to_string(o.sent)},
          {"answered", std::to_string(o.answered)},
          {"total", std::to_string(r.completed)},
          {"errors", std::to_string(r.errors)},
          {"mean_rps", one_decimal(r.mean_rps())},
          {"schedule_kept", flag(o.schedule_kept, f)},
          {"send_lag_p99_us", one_decimal(us(o.send_lag.percentile(0.99)))},
          {"max_send_lag_us", one_decimal(us(o.max_send_lag))},
          {"late_sends", std::to_string(o.late_sends)},
      },
      l, !l.empty(), f,
      {
          {"unfinished", std::to_string(r.unfinished)},
          {"oldest_unfinished_us", one_decimal(us(r.oldest_unfinished))},
          {"long_n", std::to_string(c.long_n.value_or(0))},
          {"long_completed", std::to_string(r.long_completed)},
          {"slo_us", std::to_string(c.slo.count())},
          {"during_long_due", std::to_string(o.during_long_due)},
          {"during_long_over_slo", std::to_string(o.during_long_over_slo)},
          {"connection_failures", std::to_string(r.connection_failures)},
      });
  if (f == output_format::json) {
    fields.push_back({"latency_us", json_tails(l)});
    fields.push_back({"latency_lower_bound", json_lower_bounds(l)});
    fields.push_back({"latency_uncorrected_us", json_tails(u)});
    fields.push_back({"latency_uncorrected_lower_bound", json_lower_bounds(u)});
    fields.push_back({"during_long_latency_us", json_tails(d)});
    fields.push_back({"during_long_lower_bound", json_lower_bounds(d)});
    return json_object("summary", fields);
  }
  if (f == output_format::csv) {
    for (const auto& [prefix, figures] :
         {std::pair{"corrected_", &l}, std::pair{"uncorrected_", &u}, std::pair{"during_", &d}}) {
      for (const auto& t : tails(*figures)) {
        std::string name = fmt::format("{}{}_us", prefix, t.name);
        std::replace(name.begin(), name.end(), '.', '_');
        fields.push_back({std::move(name), us_or_none(t.value, !figures->empty(), f)});
      }
    }
    return fmt::format("\n{}{}", csv_header(fields), csv_row(fields));
  }
  std::string out = fmt::format(
      "summary: open loop, {:.0f} req/s over {} connection{}, n={}, {}:\n"
      "  {} due, {} sent, {} answered\n"
      "  {:<22}{:>11}{:>11}{:>11}{:>11}{:>11}{:>11}\n",
      o.rate, c.connections, c.connections == 1 ? "" : "s", c.n,
      r.interrupted ? fmt::format("{:.1f} s", std::chrono::duration<double>(r.elapsed).count())
                    : fmt::format("{} s", c.duration_s),
      o.due, o.sent, o.answered, "latency", "p50", "p90", "p99", "p99.9", "p99.99", "max");
  out += text_tails("corrected (from due)", l);
  out += text_tails("uncorrected (from send)", u);
  if (c.long_n) out += text_tails("due during long", d);
  const auto lag = fmt::format("send lag p99 {}, max {}, {} over 1 ms",
                               human_duration(o.send_lag.percentile(0.99)),
                               human_duration(o.max_send_lag), o.late_sends);
  if (o.schedule_kept) {
    out += fmt::format("  schedule kept: {}\n", lag);
  } else {
    out += fmt::format(
        "  SCHEDULE NOT KEPT: the client fell behind ({}{});\n"
        "  the corrected figures include its own delay\n",
        lag, o.sent < o.due ? fmt::format(", {} of {} due requests sent", o.sent, o.due) : "");
  }
  if (c.long_n) {
    out += fmt::format(
        "  long request n={}: {} answered; {} small requests due during it, {} "
        "slower than {}\n",
        *c.long_n, r.long_completed, o.during_long_due,
        percent(o.during_long_over_slo, o.during_long_due), human_duration(c.slo));
  }
  if (r.interrupted) {
    out += fmt::format("  interrupted after {:.1f} of {} s: this is what was measured so far\n",
                       std::chrono::duration<double>(r.elapsed).count(), c.duration_s);
  }
  if (r.errors) out += fmt::format("  {} ERR replies, first: {}\n", r.errors, r.first_error_reply);
  if (r.unfinished) {
    out += fmt::format("  {} request{} unanswered at the end, the oldest due {} before it ('>=')\n",
                       r.unfinished, r.unfinished == 1 ? "" : "s",
                       human_duration(r.oldest_unfinished));
  }
  if (r.connection_failures) {
    out += fmt::format("  {} connection{} failed, first: {}\n", r.connection_failures,
                       r.connection_failures == 1 ? "" : "s", r.first_failure);
  }
  return out;
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
                     human_latency(s.p50, s.p50_lower_bound, has),
                     human_latency(s.p99, s.p99_lower_bound, has),
                     s.errors ? fmt::format("  {} ERR", s.errors) : "",
                     s.stuck ? fmt::format("  {} unanswered", s.stuck) : "",
                     s.long_active ? "  (long request in flight)" : "");
}

std::string format_summary(const load_result& r, output_format f) {
  if (r.open_loop) return format_open_loop_summary(r, f);
  const auto& c = r.config;
  const auto& l = r.latency;
  const bool has = !l.empty();
  const auto fields = around_figures(
      {
          {"connections", std::to_string(c.connections)},
          {"depth", std::to_string(c.depth)},
          {"n", std::to_string(c.n)},
          {"duration_s", std::to_string(c.duration_s)},
          {"elapsed_s", fmt::format("{:.3f}", std::chrono::duration<double>(r.elapsed).count())},
          {"interrupted", flag(r.interrupted, f)},
          {"total", std::to_string(r.completed)},
          {"errors", std::to_string(r.errors)},
          {"mean_rps", one_decimal(r.mean_rps())},
      },
      l, has, f,
      {
          {"unfinished", std::to_string(r.unfinished)},
          {"oldest_unfinished_us", one_decimal(us(r.oldest_unfinished))},
          {"long_n", std::to_string(c.long_n.value_or(0))},
          {"long_completed", std::to_string(r.long_completed)},
          {"connection_failures", std::to_string(r.connection_failures)},
      });
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
      r.mean_rps(), human_latency(l.p50, l.p50_lower_bound, has),
      human_latency(l.p99, l.p99_lower_bound, has), human_latency(l.max, l.max_lower_bound, has));
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
