#pragma once
/// The settings of the two reference servers (the lesson's earlier stages) and their command
/// line. The flags they share with primeloop-server mean the same thing there.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/protocol.hpp"
#include "core/workloads.hpp"

namespace primeloop::reference {

/// Everything primeloop-blocking and primeloop-threaded can be told.
struct reference_options {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 25000;
  workload work = workload::naive;
  std::uint64_t max_n = protocol::default_max_n;
  std::size_t max_line = protocol::default_max_line;
  std::chrono::duration<double> stats_interval{1.0};  ///< 0: no stats lines
  int backlog = 128;  ///< connections the kernel queues before accept (blocking: all but one)
  std::size_t max_connections = 1024;  ///< threaded: threads at once; past it ERR too many
  std::chrono::milliseconds idle_timeout{60'000};    ///< 0: never
  std::chrono::milliseconds grace{2'000};            ///< shutdown: time left to a computation
  bool gil = false;                                  ///< threaded: model CPython's lock
  std::chrono::microseconds switch_interval{5'000};  ///< with gil
};

/// Which of the two servers parses: they differ in the flags that mean something to them.
enum class reference_kind { blocking, threaded };

/// Options to run with, or an exit status (after --help, --version or an error, already
/// printed).
struct parsed_reference_options {
  std::optional<reference_options> options;
  int exit_code = 0;
};

/// Parses argv for the given server; prints help, version or a readable error itself.
[[nodiscard]] parsed_reference_options parse_reference_options(reference_kind kind, int argc,
                                                               const char* const* argv);

}  // namespace primeloop::reference
