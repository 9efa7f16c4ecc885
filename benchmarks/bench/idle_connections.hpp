#pragma once
/// What many idle connections cost a server: open them from this process, check the server
/// still answers, and read the server's memory and descriptors from /proc.
#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace primeloop::lab {

/// One server holding many idle connections.
struct idle_cell {
  std::string target;                ///< the column measured
  unsigned requested = 0;            ///< connections asked for
  unsigned opened = 0;               ///< connections that opened
  bool answered = false;             ///< the server answered a request after the last one opened
  std::uint64_t rss_before_kib = 0;  ///< the server process's VmRSS before opening them
  std::uint64_t rss_kib = 0;         ///< ... with all of them open
  std::uint64_t group_rss_kib = 0;   ///< VmRSS summed over its process group (pool workers too;
                                     ///< pages they share are counted in each)
  std::size_t server_fds = 0;        ///< descriptors the server process had open then
  std::string error;                 ///< non-empty when the measurement failed
};

/// Opens count connections to 127.0.0.1:port and leaves them idle, then reads the memory of
/// the server process pid and its group (pid is the group's leader). Every 1000 connections,
/// and after the last, one "1" request goes out on the newest connection and must be answered:
/// the server has then accepted all before it (its accept queue is first in, first out), so the
/// queue never overflows, and the figure is that of a server that still works. The connections
/// close when it returns. Fails (error set) past deadline.
[[nodiscard]] asio::awaitable<idle_cell> measure_idle_connections(
    std::uint16_t port, pid_t pid, unsigned count, std::chrono::milliseconds deadline);

}  // namespace primeloop::lab
