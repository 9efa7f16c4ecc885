#pragma once
/// How the load client prints what it measured: text for people, JSON lines or CSV for scripts.
#include <chrono>
#include <cstdint>
#include <string>

#include "clients/load_generator.hpp"

namespace primeloop::clients {

/// The output formats of the load client.
enum class output_format { text, json, csv };

/// A latency for people: "87 us", "1.24 ms", "3.10 s".
[[nodiscard]] std::string human_duration(std::chrono::nanoseconds d);
/// A latency for people: human_duration with ">= " when it is a lower bound, "-" when there is
/// none.
[[nodiscard]] std::string human_latency(std::chrono::nanoseconds d, bool lower_bound,
                                        bool exists = true);
/// part / whole as "12.5%", "-" when whole is 0.
[[nodiscard]] std::string percent(std::uint64_t part, std::uint64_t whole);

/// What to print before the first second (the CSV header; empty for text and JSON).
[[nodiscard]] std::string format_header(output_format f);
/// One line (with its '\n') for one measured second.
[[nodiscard]] std::string format_second(const second_sample& s, output_format f);
/// The summary of a run: total, mean req/s, p50/p99/max latency, errors, connection count.
[[nodiscard]] std::string format_summary(const load_result& r, output_format f);

}  // namespace primeloop::clients
