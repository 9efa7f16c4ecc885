#include "server/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "core/proc_self.hpp"

namespace primeloop {
namespace {

std::optional<std::string> slurp(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Entries of /proc/self/fd, less the one opendir holds while it counts.
std::optional<std::uint64_t> count_open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return std::nullopt;
  std::uint64_t n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n > 0 ? n - 1 : 0;
}

}  // namespace

std::optional<process_figures> read_process_figures() {
  const auto stat = slurp("/proc/self/stat");
  const auto system = slurp("/proc/stat");
  if (!stat || !system) return std::nullopt;
  const auto fields = parse_proc_pid_stat(*stat);
  const auto boot = parse_boot_time(*system);
  const auto fds = count_open_fds();
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (!fields || !boot || !fds || ticks <= 0 || page <= 0) return std::nullopt;
  process_figures f;
  const auto per_second = static_cast<double>(ticks);
  f.cpu_seconds = static_cast<double>(fields->utime_ticks + fields->stime_ticks) / per_second;
  f.resident_bytes = fields->rss_pages * static_cast<std::uint64_t>(page);
  f.open_fds = *fds;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) f.max_fds = lim.rlim_cur;
  f.start_time_seconds =
      static_cast<double>(*boot) + static_cast<double>(fields->starttime_ticks) / per_second;
  return f;
}

std::string format_process_metrics() {
  const auto f = read_process_figures();
  return f ? format_process_metrics(*f) : std::string{};
}

std::string format_process_metrics(const process_figures& f) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
                 "seconds.\n# TYPE process_cpu_seconds_total counter\n"
                 "process_cpu_seconds_total {}\n",
                 f.cpu_seconds);
  fmt::format_to(it,
                 "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                 "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n",
                 f.resident_bytes);
  fmt::format_to(it,
                 "# HELP process_open_fds Number of open file descriptors.\n"
                 "# TYPE process_open_fds gauge\nprocess_open_fds {}\n",
                 f.open_fds);
  fmt::format_to(it,
                 "# HELP process_max_fds Maximum number of open file descriptors.\n"
                 "# TYPE process_max_fds gauge\nprocess_max_fds {}\n",
                 f.max_fds);
  fmt::format_to(it,
                 "# HELP process_start_time_seconds Start time of the process since unix epoch in "
                 "seconds.\n# TYPE process_start_time_seconds gauge\n"
                 "process_start_time_seconds {:.2f}\n",
                 f.start_time_seconds);
  return out;
}

}  // namespace primeloop
