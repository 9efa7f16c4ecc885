#include "server/server.hpp"

#include <system_error>

namespace primeloop {

std::size_t raise_open_file_limit() noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return static_cast<std::size_t>(lim.rlim_cur);
}

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
