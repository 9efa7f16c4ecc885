#include "executors/worker_main.hpp"

#include "executors/costly_priority.hpp"

#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace primeloop::executors {
namespace {

using worker_protocol::reply_msg;
using worker_protocol::request_msg;

constexpr int worker_fd = 3;

/// Closes every descriptor above worker_fd: the child must not hold the listening socket,
/// client sockets or other workers' sockets open.
void close_other_descriptors() {
  if (::syscall(SYS_close_range, worker_fd + 1, ~0U, 0) == 0) return;
  const long max = ::sysconf(_SC_OPEN_MAX);
  for (long fd = worker_fd + 1; fd < max; ++fd) ::close(static_cast<int>(fd));
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t w = ::write(fd, data, size);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    size -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

void worker_main(int fd, int parent_pid, workload work, int nice) {
  // Die with the server, even when it is killed with SIGKILL. The parent may have died between
  // fork() and prctl(): then the signal will never come, so check by hand.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent_pid) ::_exit(0);

  // Ctrl-C reaches the whole process group; the server decides when workers end.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, nullptr);
  ::sigaction(SIGPIPE, &ignore, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGTERM, SIGHUP, SIGCHLD, SIGQUIT}) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (fd != worker_fd) {
    ::dup2(fd, worker_fd);
    ::close(fd);
  }
  close_other_descriptors();
  const std::uint64_t costly_from = first_costly_n(work);

  std::array<char, 64 * sizeof(request_msg)> in{};
  std::size_t have = 0;
  std::array<reply_msg, 64> out{};
  for (;;) {
    const ssize_t r = ::read(worker_fd, in.data() + have, in.size() - have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) ::_exit(0);  // the server closed our socket: we are done
    have += static_cast<std::size_t>(r);
    const std::size_t count = have / sizeof(request_msg);
    // Every request of one read is computed, then all replies go in one write: the loop sends
    // several requests to a worker only when they are cheap (process_scheduler::dispatch).
    for (std::size_t i = 0; i < count; ++i) {
      request_msg req{};
      std::memcpy(&req, in.data() + i * sizeof(request_msg), sizeof req);
      const costly_priority priority(nice, req.n >= costly_from);
      const auto value = nth_prime(work, req.n);
      out[i] = reply_msg{value.value_or(0), value ? 1U : 0U};
    }
    const std::size_t used = count * sizeof(request_msg);
    std::memmove(in.data(), in.data() + used, have - used);
    have -= used;
    if (!write_all(worker_fd, reinterpret_cast<const char*>(out.data()),
                   count * sizeof(reply_msg))) {
      ::_exit(0);
    }
  }
}

}  // namespace primeloop::executors
