#pragma once
/// The server's settings and their command line. Every limit has a flag and a documented
/// default (docs/protocol.md).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/executor_kind.hpp"
#include "core/protocol.hpp"
#include "executors/executor_policy.hpp"

namespace primeloop {

/// Everything primeloop-server can be told.
struct server_options {
  executor_kind executor = executor_kind::threads;
  std::string bind = "127.0.0.1";
  std::uint16_t port = protocol::default_port;
  std::optional<std::uint16_t> http_port;  ///< the HTTP face's port (0: any); none: off
  executors::executor_config pool;
  std::chrono::duration<double> stats_interval{1.0};  ///< 0: no stats lines
  std::uint64_t max_n = protocol::default_max_n;
  std::size_t max_line = protocol::default_max_line;
  std::size_t max_pipeline = 1024;  ///< unanswered requests per connection before it stops reading
  /// bytes of finished replies waiting for a connection's client before it stops reading
  std::size_t max_pipeline_bytes = 32 * 1024;
  std::size_t max_connections = 16384;  ///< past it: ERR too many connections, close
  std::size_t send_buffer = 64 * 1024;  ///< SO_SNDBUF per connection; 0: the kernel's sizing
  std::chrono::milliseconds idle_timeout{60'000};  ///< 0: never
  std::chrono::milliseconds line_timeout{10'000};  ///< a started line must end within; 0: never
  std::chrono::milliseconds grace{2'000};          ///< shutdown: time left to in-flight work
  /// shutdown: how long /readyz says 503 while the listeners still accept, before they close
  std::chrono::milliseconds drain_delay{0};
  bool gil = false;  ///< model CPython's interpreter lock (docs/gil.md)
  std::chrono::microseconds switch_interval{5'000};  ///< with gil: CPython's switch interval
};

/// The most workers --workers accepts for an executor: processes up to 8 per core and below the
/// process limit (RLIMIT_NPROC), threads up to 64 per core; inline has the loop alone.
[[nodiscard]] std::size_t max_workers(executor_kind k) noexcept;

/// The result of reading the command line: options to run with, or an exit status (after --help,
/// --version or a usage error, with the text already printed; a usage error exits 2).
struct parsed_options {
  std::optional<server_options> options;
  int exit_code = 0;
};

/// Parses argv; prints help, version or a readable error itself.
[[nodiscard]] parsed_options parse_server_options(int argc, const char* const* argv);

}  // namespace primeloop
