#pragma once
/// Names tables: the one place where an enum's values get the names people type. Parsers,
/// to_string and help texts read the table, so a name is spelled once.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace primeloop {

/// One row of a names table: the text a user types and the value it means.
template <class E>
struct named {
  E value;
  std::string_view name;
};

/// A names table: one row per value of E, in the order help texts list them.
template <class E, std::size_t N>
using names_table = std::array<named<E>, N>;

/// The name of v in table ("?" when v has no row: a table that misses a value is a bug).
template <class E, std::size_t N>
[[nodiscard]] constexpr std::string_view name_of(const names_table<E, N>& table, E v) noexcept {
  for (const auto& row : table) {
    if (row.value == v) return row.name;
  }
  return "?";
}

/// The value named s in table, if any.
template <class E, std::size_t N>
[[nodiscard]] constexpr std::optional<E> value_named(const names_table<E, N>& table,
                                                     std::string_view s) noexcept {
  for (const auto& row : table) {
    if (row.name == s) return row.value;
  }
  return std::nullopt;
}

/// Every name of table, in order.
template <class E, std::size_t N>
[[nodiscard]] std::vector<std::string> names_of(const names_table<E, N>& table) {
  std::vector<std::string> out;
  out.reserve(N);
  for (const auto& row : table) out.emplace_back(row.name);
  return out;
}

/// Every value of table, in order.
template <class E, std::size_t N>
[[nodiscard]] std::vector<E> values_of(const names_table<E, N>& table) {
  std::vector<E> out;
  out.reserve(N);
  for (const auto& row : table) out.push_back(row.value);
  return out;
}

}  // namespace primeloop
