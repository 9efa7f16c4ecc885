#pragma once
/// What the lab's tests share: the lines over 100 columns in a text, a fresh temporary folder,
/// the command of a short lab run, and an observer that hears nothing.
#include <unistd.h>

#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/lab/lab.hpp"
#include "test_support.hpp"

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

/// A short primeloop-lab run, for tests that read what it prints and writes: seconds-long phases,
/// a naive long request, and no stand-in (the stand-in's own test asks for it).
struct short_lab {
  std::string executors = "inline,threads";
  int before = 1;
  int during = 1;
  int after = 1;
  int long_n = 20000;
  int connections = 4;
  int stop_grace = 2;
  bool standin = false;
  std::vector<std::string> extra{};  ///< more flags, after the others

  /// The command, writing its files to `out`.
  [[nodiscard]] std::vector<std::string> argv(const std::string& out) const {
    std::vector<std::string> a{bin("primeloop-lab"), "--executors", executors};
    if (!standin) a.emplace_back("--no-standin");
    using flag_value = std::pair<const char*, int>;
    for (const auto& [flag, value] :
         std::initializer_list<flag_value>{{"--before", before},
                                           {"--during", during},
                                           {"--after", after},
                                           {"--long-n", long_n},
                                           {"--connections", connections},
                                           {"--stop-grace", stop_grace}}) {
      a.emplace_back(flag);
      a.push_back(std::to_string(value));
    }
    a.insert(a.end(), extra.begin(), extra.end());
    a.emplace_back("--out");
    a.push_back(out);
    return a;
  }
};

/// A lab observer that ignores everything it is told.
struct null_observer final : lab::lab_observer {
  void round_started(unsigned, unsigned) override {}
  void started(std::size_t, const std::string&) override {}
  void second(std::size_t, const clients::second_sample&) override {}
  void finished(std::size_t, const lab::executor_run&) override {}
};

}  // namespace primeloop::test
