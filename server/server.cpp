#include "server/server.hpp"

#include <system_error>

namespace primeloop {

void log_exception(std::string_view where, std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "primeloop-server: {} ended with an error: {}\n", where, ex.what());
  } catch (...) {
    fmt::print(stderr, "primeloop-server: {} ended with an unknown error\n", where);
  }
}

}  // namespace primeloop
