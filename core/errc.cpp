#include "core/errc.hpp"

#include <string>

namespace primeloop {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "primeloop"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::empty_line:
        return "empty line: send a whole number n >= 1, then a newline";
      case errc::not_a_number:
        return "not a number: send decimal digits only, like 10";
      case errc::not_positive:
        return "n must be a whole number of at least 1";
      case errc::too_large:
        return "n is too large";
      case errc::line_too_long:
        return "line too long: no newline within the limit, closing";
      case errc::busy:
        return "busy: too many requests waiting, try again later";
      case errc::worker_died:
        return "worker died while computing this request";
      case errc::timeout:
        return "timeout: the request ran over the server's time limit";
      case errc::shutting_down:
        return "shutting down: the answer was not ready in time";
      case errc::too_many_connections:
        return "too many connections, try again later";
      case errc::cancelled:
        return "cancelled";
      case errc::internal:
        return "internal error";
      case errc::idle_timeout:
        return "idle timeout: nothing received for too long, closing";
      case errc::line_timeout:
        return "line timeout: a line was not completed in time, closing";
    }
    return "unknown error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace primeloop
