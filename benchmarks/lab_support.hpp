#pragma once
/// Small helpers the lab's and the benchmark's mains share.
#include <cstddef>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>

#include "server/open_files.hpp"

namespace primeloop::lab {

/// The path of a program next to the running one (/proc/self/exe's directory), or explicit when
/// it is not empty. Throws std::runtime_error when the file is not there.
[[nodiscard]] std::filesystem::path sibling_binary(const std::string& explicit_path,
                                                   std::string_view name);

/// The command line as a shell would need it typed (arguments with spaces quoted).
[[nodiscard]] std::string quote_command(int argc, char** argv);

/// Prints "<program>: <what>" for an exception to stderr.
void report_exception(std::string_view program, const std::exception_ptr& e);

/// The machine a run measures: every figure depends on it, and on what else runs there.
struct machine_info {
  long cpus = 0;          ///< online CPUs
  std::string cpu_model;  ///< "model name" of /proc/cpuinfo
  std::string kernel;     ///< uname's system, release and machine
  std::string loadavg;    ///< /proc/loadavg when read
};
/// Reads the machine's description now (the load average changes: read it when it matters).
[[nodiscard]] machine_info read_machine();
/// "2 cpus (AMD EPYC), Linux 6.1.0 x86_64".
[[nodiscard]] std::string describe_cpus(const machine_info& m);

}  // namespace primeloop::lab
