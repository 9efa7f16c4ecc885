#pragma once
/// A child process on a pseudo-terminal, for what a program does only on a terminal (the
/// one-shot client's spinner). Every wait has a deadline; nothing sleeps for a fixed time.
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace primeloop::test {

/// argv run with its stdin, stdout and stderr on a new pseudo-terminal.
class terminal_process {
 public:
  explicit terminal_process(const std::vector<std::string>& argv);
  ~terminal_process();
  terminal_process(const terminal_process&) = delete;
  terminal_process& operator=(const terminal_process&) = delete;

  /// Reads until what the program wrote contains needle; false at the deadline or at its end.
  [[nodiscard]] bool wait_for(std::string_view needle, milliseconds deadline = default_deadline);
  /// Reads until the program closes the terminal, or until the deadline; returns all output.
  [[nodiscard]] const std::string& read_all(milliseconds deadline = default_deadline);
  /// Everything read so far.
  [[nodiscard]] const std::string& output() const { return out_; }
  /// The exit status (WEXITSTATUS, or 128 + signal), or nullopt at the deadline.
  [[nodiscard]] std::optional<int> wait(milliseconds deadline = default_deadline);

 private:
  /// Reads what is there within `left`; false at the end of output or when nothing came.
  bool read_some(milliseconds left);

  pid_t pid_ = -1;
  int master_ = -1;
  bool ended_ = false;
  std::string out_;
  std::optional<int> status_;
};

}  // namespace primeloop::test
