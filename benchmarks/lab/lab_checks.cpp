#include "benchmarks/lab/lab_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <system_error>

#include "benchmarks/harness/listening_line.hpp"
#include "benchmarks/harness/wrap_words.hpp"

namespace primeloop::lab {

std::string long_n_refusal(std::string_view listening_line, std::uint64_t long_n) {
  const auto max_n = harness::listening_max_n(listening_line);
  if (!max_n || long_n <= *max_n) return {};
  return fmt::format(
      "--long-n {} is above the server's max-n={}:\n"
      "  every long request would be answered ERR (the limit is on its listening line);\n"
      "  raise it with --server-arg=--max-n={}, or ask for a smaller --long-n",
      long_n, *max_n, long_n);
}

std::string run_failure(const executor_run& run) {
  if (!run.error.empty()) return run.error;
  const auto& r = run.load;
  if (r.connection_failures == 0) return {};
  return fmt::format("{} connection{} failed: {}", r.connection_failures,
                     r.connection_failures == 1 ? "" : "s", r.first_failure);
}

int report_failures(const std::vector<executor_summary>& rows, std::FILE* out) {
  int status = 0;
  // With --repeat the round says which of a column's runs it was.
  const bool rounds =
      std::any_of(rows.begin(), rows.end(), [](const executor_summary& r) { return r.round > 1; });
  for (const auto& r : rows) {
    if (!r.failed) continue;
    std::string_view why = r.server_end;
    if (why.starts_with("FAILED: ")) why.remove_prefix(8);
    fmt::print(out, "{}\n",
               harness::wrap_words(
                   fmt::format("primeloop-lab: column {}{} failed, its figures "
                               "are not valid: {}",
                               r.executor, rounds ? fmt::format(" (round {})", r.round) : "", why),
                   100));
    status = 1;
  }
  return status;
}

double first_load_average(std::string_view loadavg) {
  double value = 0;
  const auto [end, ec] = std::from_chars(loadavg.data(), loadavg.data() + loadavg.size(), value);
  return ec == std::errc{} ? value : 0;
}

std::string noisy_machine_warning(double load_1min, long cpus) {
  if (cpus <= 0 || load_1min <= static_cast<double>(cpus - 1)) return {};
  return fmt::format(
      "warning: load average {:.2f} on {} cores: other work competes for the CPU, figures will "
      "be noisy\n",
      load_1min, cpus);
}

std::filesystem::path fresh_out_dir(const std::filesystem::path& base) {
  std::error_code ec;
  if (!std::filesystem::exists(base, ec) || std::filesystem::is_empty(base, ec)) return base;
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  auto candidate = base;
  candidate += fmt::format("-{}", stamp);
  // Two runs in the same second: a counter after the time.
  for (int i = 2; std::filesystem::exists(candidate, ec); ++i) {
    candidate = base;
    candidate += fmt::format("-{}-{}", stamp, i);
  }
  return candidate;
}

}  // namespace primeloop::lab
