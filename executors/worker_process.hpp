#pragma once
/// One worker process of the process pool as the loop sees it: the child (forked here), the
/// socket pair that joins it to the loop, the fixed-size records on that socket, and SIGKILL.
/// It knows nothing of requests or connections: the scheduler decides what it computes, the
/// pool what happens when it dies.
#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/local/stream_protocol.hpp>

#include "core/workloads.hpp"
#include "executors/worker_main.hpp"

namespace primeloop::executors {

/// A forked worker and its socket. Driven from the loop thread only.
class worker_process : public std::enable_shared_from_this<worker_process> {
 public:
  using clock = std::chrono::steady_clock;
  using reply = worker_protocol::reply_msg;

  /// Why the pool killed a worker, if it did.
  enum class kill_reason { none, cancelled, timeout, stopping };

  /// Hears what a worker says; called on the loop thread.
  class listener {
   public:
    /// Replies in request order; the worker may have sent more since.
    virtual void on_replies(worker_process& w, std::span<const reply> replies) = 0;
    /// Its socket reached end of stream or failed: the process is gone, or going.
    virtual void on_exit(worker_process& w) = 0;

   protected:
    ~listener() = default;
  };

  /// How to start a worker.
  struct start_options {
    workload work = workload::naive;
    int nice = 0;                    ///< --worker-nice, for costly computations
    pid_t parent = 0;                ///< the server's pid, checked by the child
    void (*start_hook)() = nullptr;  ///< tests: runs first in the child
  };

  /// Forks a worker for `slot` and starts reading its replies. Throws std::system_error when
  /// the socket pair or the fork fails.
  [[nodiscard]] static std::shared_ptr<worker_process> spawn(asio::any_io_executor ex,
                                                             const start_options& options,
                                                             listener& to, std::size_t slot);

  worker_process(asio::any_io_executor ex, listener& to, std::size_t slot);
  worker_process(const worker_process&) = delete;
  worker_process& operator=(const worker_process&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] std::size_t slot() const noexcept { return slot_; }
  [[nodiscard]] clock::time_point started() const noexcept { return started_; }
  /// Its socket is closed: end of stream, an error, or close().
  [[nodiscard]] bool dead() const noexcept { return dead_; }
  [[nodiscard]] kill_reason killed_for() const noexcept { return killed_for_; }

  /// Appends a request to the next write.
  void send(std::uint64_t n) { out_.push_back({n}); }
  /// Requests appended since the last write started.
  [[nodiscard]] bool has_unsent() const noexcept { return !out_.empty(); }
  /// Starts one write of everything send() appended, unless a write is in progress (then the
  /// rest follows it).
  void flush();
  /// SIGKILL; its socket then reaches end of stream and the listener hears on_exit. The first
  /// reason given is the one remembered.
  void kill(kill_reason why);
  /// waitpid collected it: its pid may belong to another process now, never signal it.
  void mark_reaped() noexcept { reaped_ = true; }
  /// Closes the socket without telling the listener, and SIGKILLs the process.
  void close();

 private:
  void start_read();
  void on_read(std::size_t bytes);
  void on_gone();

  asio::local::stream_protocol::socket socket_;
  listener& listener_;
  std::size_t slot_;
  pid_t pid_ = 0;
  clock::time_point started_{};
  std::array<char, 64 * sizeof(reply)> in_{};
  std::size_t have_ = 0;
  std::vector<worker_protocol::request_msg> out_;      // to send
  std::vector<worker_protocol::request_msg> sending_;  // being written
  bool writing_ = false;
  bool dead_ = false;
  bool reaped_ = false;
  kill_reason killed_for_ = kill_reason::none;
};

}  // namespace primeloop::executors
