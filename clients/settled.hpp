#pragma once
/// A coroutine's end as a value: its result or the exception it ended with. asio's `a || b`
/// waits for the first operand that *succeeds*, so an `a` that throws leaves the wait to `b`:
/// a spinner that never ends, a timer that then speaks of a timeout. `settled(a) || b` ends
/// when `a` ends, however it ends, and value_of() rethrows what `a` threw.
#include <asio/awaitable.hpp>
#include <exception>
#include <optional>
#include <utility>

namespace primeloop::clients {

/// What a coroutine returned, or what it threw. A struct, not a std::variant: asio's || flattens
/// variant operands into its own result.
template <class T>
struct outcome {
  std::optional<T> value;    ///< the result, when it returned
  std::exception_ptr error;  ///< what it threw, when it threw
};

/// Awaits work and returns its result, or the exception it threw, without throwing.
template <class T>
[[nodiscard]] asio::awaitable<outcome<T>> settled(asio::awaitable<T> work) {
  outcome<T> out;
  try {
    out.value.emplace(co_await std::move(work));
  } catch (...) {
    out.error = std::current_exception();
  }
  co_return out;
}

/// The result in o, or what the coroutine threw, thrown again.
template <class T>
[[nodiscard]] T value_of(outcome<T>&& o) {
  if (o.error) std::rethrow_exception(o.error);
  return std::move(*o.value);
}

}  // namespace primeloop::clients
