#pragma once
/// Prometheus' own parser (Debian's python3-prometheus-client) reading exposition text, for the
/// tests of /metrics and of the loop-lag histogram.
#include <map>
#include <string>

namespace primeloop::test {

/// Each sample of text, keyed "name{k=v,...}" (labels sorted), or "type name{k=v,...}" with
/// with_type (the family's type as the parser read it: counter, gauge, histogram...).
[[nodiscard]] std::map<std::string, double> parse_with_prometheus(const std::string& text,
                                                                  bool with_type = false);

}  // namespace primeloop::test
