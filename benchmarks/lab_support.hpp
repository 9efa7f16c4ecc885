#pragma once
/// Small helpers the lab's and the benchmark's mains share.
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>

namespace primeloop::lab {

/// The path of a program next to the running one (/proc/self/exe's directory), or explicit when
/// it is not empty. Throws std::runtime_error when the file is not there.
[[nodiscard]] std::filesystem::path sibling_binary(const std::string& explicit_path,
                                                   std::string_view name);

/// The command line as a shell would need it typed (arguments with spaces quoted).
[[nodiscard]] std::string quote_command(int argc, char** argv);

/// Prints "<program>: <what>" for an exception to stderr.
void report_exception(std::string_view program, const std::exception_ptr& e);

}  // namespace primeloop::lab
