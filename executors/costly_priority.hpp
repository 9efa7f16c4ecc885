#pragma once
/// Lower scheduling priority for costly computations only (--worker-nice). A long computation
/// then yields the CPU to the loop and to small requests whenever they compete for it, while
/// small requests keep their normal priority.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace primeloop::executors {

/// While alive, the calling thread runs at niceness `nice` (when costly and nice > 0); then its
/// niceness goes back. Going back needs CAP_SYS_NICE or a high enough RLIMIT_NICE; without
/// either, the thread stays at the lower priority (docs/performance.md).
class costly_priority {
 public:
  costly_priority(int nice, bool costly) {
    if (!costly || nice <= 0) return;
    tid_ = static_cast<id_t>(::syscall(SYS_gettid));  // Linux: per thread with a thread id
    errno = 0;
    before_ = ::getpriority(PRIO_PROCESS, tid_);
    if (errno != 0 || before_ >= nice) return;
    active_ = ::setpriority(PRIO_PROCESS, tid_, nice) == 0;
  }
  ~costly_priority() {
    if (active_) ::setpriority(PRIO_PROCESS, tid_, before_);
  }
  costly_priority(const costly_priority&) = delete;
  costly_priority& operator=(const costly_priority&) = delete;

 private:
  id_t tid_ = 0;
  int before_ = 0;
  bool active_ = false;
};

}  // namespace primeloop::executors
