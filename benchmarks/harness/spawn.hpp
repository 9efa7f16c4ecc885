#pragma once
/// Starting a child process: the one fork and exec every harness piece (the lab's server
/// children, the bench's timed commands, the tests' child processes) goes through.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace primeloop::harness {

/// How a child is started.
struct spawn_options {
  bool own_process_group = false;  ///< setpgid(0, 0): the child and what it forks end together
  bool die_with_parent = false;    ///< PR_SET_PDEATHSIG SIGKILL: a crashed parent leaves nothing
  bool stderr_to_pipe = true;      ///< stderr into the output pipe too (else inherited)
  bool stderr_to_null = false;     ///< with stderr_to_pipe false: /dev/null, not inherited
  bool close_other_fds = false;    ///< close every descriptor above 2, close-on-exec or not
  int nice = 0;                    ///< the child's niceness (0: the parent's)
};

/// A started child: its pid and the read end of the pipe its stdout (and stderr) goes to.
struct spawned {
  pid_t pid = -1;
  int output = -1;  ///< close-on-exec; the caller owns it
};

/// Forks and execs argv (argv[0] is a path; no $PATH search) with stdin from /dev/null, every
/// signal unblocked and at its default action.
/// Safe in a multithreaded process: everything the child needs is prepared before the fork, and
/// between fork and exec it calls only async-signal-safe functions. An exec failure comes back
/// through a close-on-exec pipe and is thrown here, as std::system_error "cannot run PATH",
/// after the child is reaped.
[[nodiscard]] spawned spawn(const std::vector<std::string>& argv, const spawn_options& options);

/// An exit status as the shell gives it: the exit code, or 128 + the signal that ended it.
[[nodiscard]] int exit_status(int wait_status);

/// Reaps pid if it has ended (waitpid WNOHANG): its exit status, or nullopt while it runs.
/// Throws std::system_error when pid is not a child of this process.
[[nodiscard]] std::optional<int> try_reap(pid_t pid);

/// Blocks until pid ends or the deadline passes, polling waitpid with a short back-off (no
/// descriptor announces another process's end). Its exit status, or nullopt at the deadline.
[[nodiscard]] std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds deadline);

/// Kills pid with SIGKILL (its whole process group with group = true) and reaps it.
void kill_and_reap(pid_t pid, bool group = false) noexcept;

/// std::system_error from errno, for a failed system call named `what`.
[[noreturn]] void throw_errno(const char* what);

}  // namespace primeloop::harness
