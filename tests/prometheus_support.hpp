#pragma once
/// What the Prometheus tests need: finding promtool and prometheus, a plain HTTP GET on
/// 127.0.0.1, and Prometheus' HTTP API (/api/v1/query) read into samples.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace primeloop::test {

/// The path of an installed program (searched in $PATH, then /usr/sbin and /usr/bin), or
/// nullopt.
[[nodiscard]] std::optional<std::string> installed(std::string_view name);

/// An HTTP/1.0 GET of target on 127.0.0.1:port (the server closes after its answer, so the body
/// ends there): the status and the body; nullopt when no whole answer came before the deadline.
struct http_answer {
  int status = 0;
  std::string body;
};
[[nodiscard]] std::optional<http_answer> http_get_once(std::uint16_t port, std::string_view target,
                                                       milliseconds deadline = default_deadline);

/// One sample of an instant vector: its labels and its value as Prometheus wrote it.
struct prom_sample {
  std::map<std::string, std::string> labels;
  std::string value;
};

/// Asks the Prometheus on 127.0.0.1:port for the instant vector `expr` now (GET
/// /api/v1/query); nullopt when it did not answer with status "success".
[[nodiscard]] std::optional<std::vector<prom_sample>> prom_query(std::uint16_t port,
                                                                 std::string_view expr);

}  // namespace primeloop::test
