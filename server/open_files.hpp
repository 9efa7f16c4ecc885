#pragma once
/// The open-file limit: a server with thousands of connections, and a benchmark that opens
/// them, both need the soft limit raised to the hard one.
#include <cstddef>

namespace primeloop {

/// Raises the soft limit on open files to the hard limit; returns the soft limit now in force
/// (0 when it cannot be read).
std::size_t raise_open_file_limit() noexcept;

}  // namespace primeloop
