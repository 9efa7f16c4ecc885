#pragma once
/// The child side of the process pool: the records on a worker's socket and the loop a worker
/// process runs. It reads requests from its socket, computes them in order and writes one reply
/// per request, until the socket closes. The loop's side of a worker is worker_process.hpp.
#include <cstdint>

#include "core/workloads.hpp"

namespace primeloop::executors::worker_protocol {

/// Loop -> worker: one request.
struct request_msg {
  std::uint64_t n;
};
/// Worker -> loop: one reply, in request order.
struct reply_msg {
  std::uint64_t value;
  std::uint64_t ok;  ///< 1 when value holds the nth prime
};

}  // namespace primeloop::executors::worker_protocol

namespace primeloop::executors {

/// Runs in a freshly forked child and never returns. Sets itself up as a worker (dies with the
/// parent, holds no descriptor but `fd`, ignores SIGINT aimed at the terminal's process group),
/// then serves requests on `fd` until it closes.
[[noreturn]] void worker_main(int fd, int parent_pid, workload work, int nice);

}  // namespace primeloop::executors
