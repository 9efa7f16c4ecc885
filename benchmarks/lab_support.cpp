#include "benchmarks/lab_support.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

namespace primeloop::lab {

std::filesystem::path sibling_binary(const std::string& explicit_path, std::string_view name) {
  std::filesystem::path p = explicit_path;
  if (p.empty()) {
    std::error_code ec;
    p = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / name;
  }
  if (!std::filesystem::exists(p)) {
    throw std::runtime_error(
        fmt::format("{} not found at {} (build it, or give its path)", name, p.string()));
  }
  return p;
}

std::string quote_command(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i == 0) a = std::filesystem::path(a).filename().string();
    if (!out.empty()) out += ' ';
    if (a.empty() || a.find_first_of(" \t'\"$\\") != std::string::npos) {
      std::string q = "'";
      for (const char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += q + "'";
    } else {
      out += a;
    }
  }
  return out;
}

void report_exception(std::string_view program, const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "{}: {}\n", program, ex.what());
  } catch (...) {
    fmt::print(stderr, "{}: unknown exception\n", program);
  }
}

}  // namespace primeloop::lab
