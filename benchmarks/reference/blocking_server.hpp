#pragma once
/// The lesson's first stage: one thread accepts a connection, serves it until the client
/// leaves, then accepts the next. Everyone else waits in the kernel's accept queue (--backlog).
#include "benchmarks/reference/reference_options.hpp"

namespace primeloop::reference {

/// Serves until SIGINT/SIGTERM; returns the exit status. Throws when it cannot listen.
int run_blocking_server(const reference_options& options);

}  // namespace primeloop::reference
