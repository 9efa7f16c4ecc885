#pragma once
/// One connection served with blocking calls from start to end, as the lesson's handler does:
/// read, frame, parse, compute, reply, again. Both reference servers run it: the blocking server
/// on its only thread, the threaded server on one thread per connection.
#include "benchmarks/reference/reference_options.hpp"
#include "benchmarks/reference/socket_io.hpp"
#include "core/protocol.hpp"
#include "executors/executor_policy.hpp"
#include "executors/gil.hpp"
#include "server/stats.hpp"

namespace primeloop::reference {

/// What every connection of one server shares. Lives as long as the server.
struct connection_context {
  const reference_options& options;
  const protocol::error_lines& errors;
  stats_counters& counters;
  const executors::shutdown_flag& shutdown;  ///< set by the signal watcher
  const wake_event& wake;                    ///< fired with it: ends every blocking wait
  executors::gil* lock = nullptr;            ///< the interpreter-lock model; null: off
};

/// The lock released for the length of a blocking call, as Py_BEGIN_ALLOW_THREADS does; does
/// nothing for a null lock.
class lock_released {
 public:
  explicit lock_released(executors::gil* lock) : lock_(lock) {
    if (lock_ != nullptr) lock_->release();
  }
  ~lock_released() {
    if (lock_ != nullptr) lock_->acquire();
  }
  lock_released(const lock_released&) = delete;
  lock_released& operator=(const lock_released&) = delete;

 private:
  executors::gil* lock_;
};

/// Prepares an accepted socket (TCP_NODELAY; a send timeout of --idle-timeout, so a client
/// that never reads cannot hold a thread for ever).
void configure_accepted(int fd, const reference_options& options) noexcept;

/// Serves fd until the client leaves, breaks the protocol past repair (a line too long), goes
/// idle past --idle-timeout, or the server shuts down. The calling thread holds ctx.lock, if
/// any, except inside blocking system calls, as a CPython thread does.
void serve_connection(int fd, connection_context& ctx);

}  // namespace primeloop::reference
