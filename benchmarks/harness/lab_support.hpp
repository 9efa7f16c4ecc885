#pragma once
/// Small helpers the lab's and the benchmark's mains share.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include "server/open_files.hpp"

namespace primeloop::harness {

/// The path of a program next to the running one (/proc/self/exe's directory), or explicit when
/// it is not empty. Throws std::runtime_error when the file is not there.
[[nodiscard]] std::filesystem::path sibling_binary(const std::string& explicit_path,
                                                   std::string_view name);

/// The command line as a shell would need it typed (arguments with spaces quoted).
[[nodiscard]] std::string quote_command(int argc, char** argv);
/// The same without the output directory (--out DIR, --out=DIR, -o DIR): what a reader of a
/// chart can run again, without the temporary path it was written to.
[[nodiscard]] std::string quote_command_without_out(int argc, char** argv);

/// Writes text to path, replacing what was there. Throws std::runtime_error "cannot write PATH:
/// REASON" when the file cannot be opened or a write fails (a full disk, a missing directory):
/// a report that did not reach the disk must not look written.
void write_text_file(const std::filesystem::path& path, std::string_view text);

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
/// "primeloop 0.1.0, commit 264fe17": the build a figure comes from ("-dirty": uncommitted
/// changes were built in).
[[nodiscard]] std::string describe_build();
/// The lines a measuring command prints before it measures: "build: ...\nmachine: ...; load
/// average ...\n" (the load now).
[[nodiscard]] std::string describe_build_and_machine();

/// Runs f (finding what a command needs, writing what it measured); an exception is printed
/// as "<program>: ..." and gives false with exit_code 1.
template <class F>
[[nodiscard]] bool succeeded(std::string_view program, F f, int& exit_code) {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    exit_code = 1;
    return false;
  }
}

/// A measuring command (the lab, the bench) from its first lines to its exit status: prints
/// header, then runs task on a loop of its own until it finishes or SIGINT/SIGTERM interrupts
/// it (130; the loop stops, which destroys the run and with it every server child it started),
/// then hands its result and the seconds it took to report, which prints and writes what was
/// measured and returns the exit status. An exception from the task or from report (a file that
/// could not be written) is printed as "<program>: ..." and gives 1: a report that did not
/// reach the disk must not look written.
template <class T, class Report>
[[nodiscard]] int run_command(std::string_view program, std::string_view header,
                              asio::awaitable<T> task, Report report) {
  fmt::print("{}", header);
  std::fflush(stdout);
  const auto started = std::chrono::steady_clock::now();
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::optional<T> result;
  int status = 1;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T r) {
    signals.cancel();
    if (e) return report_exception(program, e);
    result = std::move(r);
    status = 0;
  });
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    fmt::print(stderr, "{}: interrupted\n", program);
    status = 130;
    io.stop();
  });
  io.run();
  if (status != 0) return status;
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  if (!succeeded(
          program, [&] { status = report(*result, took.count()); }, status))
    return 1;
  return status;
}

}  // namespace primeloop::harness
