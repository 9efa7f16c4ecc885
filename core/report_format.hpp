#pragma once
/// The units and quoting every machine-readable report of the project shares (the client's CSV,
/// the lab's and the bench's CSV files): one definition each, so their columns agree.
#include <chrono>
#include <string>
#include <string_view>

namespace primeloop {

/// A duration in microseconds, the unit of every *_us column.
[[nodiscard]] double us(std::chrono::nanoseconds d);
/// A duration in seconds, the unit of every column in s.
[[nodiscard]] double secs(std::chrono::nanoseconds d);

/// A CSV field as RFC 4180 has it: as it is, or in double quotes (a quote doubled) when it holds
/// a comma, a double quote, CR or LF.
[[nodiscard]] std::string csv_field(std::string_view s);

}  // namespace primeloop
