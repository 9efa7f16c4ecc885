#pragma once
/// The lesson's second stage: one thread per connection, each with blocking I/O. With --gil the
/// threads share the interpreter-lock model and hold it except inside blocking calls, as
/// CPython threads do.
#include "benchmarks/reference/reference_options.hpp"

namespace primeloop::reference {

/// Serves until SIGINT/SIGTERM, then joins every connection's thread; returns the exit status.
/// Throws when it cannot listen.
int run_threaded_server(const reference_options& options);

}  // namespace primeloop::reference
