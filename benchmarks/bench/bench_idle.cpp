#include "benchmarks/bench/bench_phases.hpp"

#include <fmt/format.h>

namespace primeloop::lab::detail {

namespace net = asio;

net::awaitable<void> idle_phase(const bench_config& config, column_servers& columns,
                                bench_results& results, const progress_fn& progress) {
  const auto limit = raise_open_file_limit();
  for (std::size_t i = 0; i < config.executors.size(); ++i) {
    auto& server = *columns.servers[i];
    idle_cell cell;
    // The connections, the servers' pipes and the load client's sockets all need descriptors.
    if (limit < config.idle_connections + 64) {
      cell.requested = config.idle_connections;
      cell.error = fmt::format("open file limit {} too low for {} connections (ulimit -n)", limit,
                               config.idle_connections);
    } else {
      cell = co_await measure_idle_connections(server.port(), server.pid(), config.idle_connections,
                                               std::chrono::seconds{60});
    }
    cell.target = config.executors[i];
    progress(fmt::format(
        "  {:<16} {} idle connections: server VmRSS {:.1f} MiB (before {:.1f} MiB), {} fds, "
        "group {:.1f} MiB{}",
        cell.target, cell.opened, static_cast<double>(cell.rss_kib) / 1024,
        static_cast<double>(cell.rss_before_kib) / 1024, cell.server_fds,
        static_cast<double>(cell.group_rss_kib) / 1024,
        cell.error.empty() ? "" : "  " + cell.error));
    results.idle.push_back(std::move(cell));
  }
}

}  // namespace primeloop::lab::detail
