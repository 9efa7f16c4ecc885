#include "benchmarks/lab/story_words.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "clients/report.hpp"

namespace primeloop::lab {
namespace {

std::string kept(const executor_summary& r) {
  return r.retention ? fmt::format("{:.1f}%", *r.retention * 100) : "-";
}

std::string p99(const executor_summary& r) {
  return clients::human_latency(r.p99, r.p99_lower_bound, r.during_answered + r.unfinished > 0);
}

/// during / the 5 ms lock's during, when there is such a row with a rate.
std::string against_5ms(const executor_summary& row, const std::vector<executor_summary>& rows,
                        const char* what) {
  const auto five = std::find_if(rows.begin(), rows.end(), [&](const executor_summary& r) {
    return r.executor == "thread-per-conn+gil5ms";
  });
  if (five == rows.end() || five->during_rps <= 0) {
    return fmt::format("{}: {:.0f}/s, kept {}", what, row.during_rps, kept(row));
  }
  return fmt::format("{}: {:.2g}x the 5 ms rate", what, row.during_rps / five->during_rps);
}

}  // namespace

std::string measured_words(const executor_summary& row, const std::vector<executor_summary>& rows,
                           unsigned connections) {
  if (row.failed) return "failed: see the summary";
  const auto& e = row.executor;
  if (e == "blocking") {
    return fmt::format("served {}/{}: {} got no answer at all", row.connections_answered,
                       connections, connections - std::min(connections, row.connections_answered));
  }
  if (e == "thread-per-conn+gil5ms") {
    return fmt::format("5 ms lock: {:.0f}/s, kept {}", row.during_rps, kept(row));
  }
  if (e == "thread-per-conn+gil2ms") return against_5ms(row, rows, "2 ms switch");
  if (e == "thread-per-conn+gil1s") return against_5ms(row, rows, "1 s switch");
  if (row.during_answered == 0) return fmt::format("frozen: 0 answered, p99 {}", p99(row));
  return fmt::format("kept {}, p99 {}", kept(row), p99(row));
}

}  // namespace primeloop::lab
