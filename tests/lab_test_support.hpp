#pragma once
/// What the lab's tests share: the lines over 100 columns in a text, a fresh temporary folder,
/// and an observer that hears nothing.
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "benchmarks/lab/lab.hpp"

namespace primeloop::test {

/// The lines of text longer than 100 columns, each with its length, for a failed check's message.
inline std::string wide_lines(const std::string& text) {
  std::istringstream in(text);
  std::string line, wide;
  while (std::getline(in, line)) {
    if (line.size() > 100) wide += std::to_string(line.size()) + ": " + line + "\n";
  }
  return wide;
}

/// An empty temporary folder of this process's, primeloop-<name>-<pid> (removed first).
inline std::filesystem::path temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("primeloop-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p;
}

/// A lab observer that ignores everything it is told.
struct null_observer final : lab::lab_observer {
  void round_started(unsigned, unsigned) override {}
  void started(std::size_t, const std::string&) override {}
  void second(std::size_t, const clients::second_sample&) override {}
  void finished(std::size_t, const lab::executor_run&) override {}
};

}  // namespace primeloop::test
