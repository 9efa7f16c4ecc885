#include "benchmarks/harness/lab_support.hpp"

#include "primeloop/version.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace primeloop::harness {

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

std::string quote_command_without_out(int argc, char** argv) {
  std::vector<char*> kept;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i > 0 && (a == "--out" || a == "-o")) {
      ++i;  // and its value
      continue;
    }
    if (i > 0 && (a.starts_with("--out=") || (a.starts_with("-o") && a.size() > 2))) continue;
    kept.push_back(argv[i]);
  }
  return quote_command(static_cast<int>(kept.size()), kept.data());
}

void write_text_file(const std::filesystem::path& path, std::string_view text) {
  errno = 0;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  f.close();
  if (!f) {
    throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(),
                                         errno != 0 ? std::strerror(errno) : "write failed"));
  }
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

machine_info read_machine() {
  machine_info m;
  m.cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (!line.starts_with("model name")) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos)
      m.cpu_model = line.substr(line.find_first_not_of(" \t", colon + 1));
    break;
  }
  utsname u{};
  if (::uname(&u) == 0) m.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  std::getline(std::ifstream("/proc/loadavg"), m.loadavg);
  return m;
}

std::string describe_build() {
  return fmt::format("primeloop {}, commit {}{}", primeloop::version, primeloop::build_commit(),
                     primeloop::event_loop_note);
}

std::string describe_build_and_machine() {
  const auto machine = read_machine();
  return fmt::format("build: {}\nmachine: {}; load average {}\n", describe_build(),
                     describe_cpus(machine), machine.loadavg);
}

std::string describe_cpus(const machine_info& m) {
  return fmt::format("{} cpus ({}), {}", m.cpus,
                     m.cpu_model.empty() ? "unknown model" : m.cpu_model, m.kernel);
}

}  // namespace primeloop::harness
