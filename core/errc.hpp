#pragma once
/// primeloop's own error conditions, with a category whose messages are what clients read after
/// "ERR ".
#include <string_view>
#include <system_error>

namespace primeloop {

/// Every condition the server reports to a client. Values are stable (tests and logs use them).
enum class errc {
  empty_line = 1,        ///< a line with no characters
  not_a_number,          ///< anything but decimal digits
  not_positive,          ///< 0 or a negative number
  too_large,             ///< above --max-n (also numbers too long to fit 64 bits)
  line_too_long,         ///< no newline within the line limit: the connection is closed
  busy,                  ///< the executor's queue is full
  worker_died,           ///< the worker process computing the request died
  timeout,               ///< the request ran over --request-timeout
  shutting_down,         ///< the server stopped before the answer was ready
  too_many_connections,  ///< past --max-connections
  cancelled,             ///< the client went away (never sent: there is nobody to read it)
  internal,              ///< a bug: the message says where
  idle_timeout,          ///< nothing moved for --idle-timeout: the connection is closed
  line_timeout,          ///< a started line was not complete within --line-timeout: closed
};

/// The highest errc value: every value from 1 to it has a message.
inline constexpr errc last_errc = errc::line_timeout;

/// The category for primeloop::errc.
[[nodiscard]] const std::error_category& error_category() noexcept;

/// Makes errc usable as a std::error_code.
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace primeloop

template <>
struct std::is_error_code_enum<primeloop::errc> : std::true_type {};
