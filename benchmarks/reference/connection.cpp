#include "benchmarks/reference/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

namespace primeloop::reference {
namespace {

using clock = std::chrono::steady_clock;

/// The workload's check point: hands the lock over when another thread asked for it, and ends
/// the computation once a shutdown's grace has passed.
struct computation_check {
  const connection_context* ctx;
  static bool poll(void* self_ptr) {
    const auto* self = static_cast<const computation_check*>(self_ptr);
    if (self->ctx->lock != nullptr) self->ctx->lock->yield_if_requested();
    if (!self->ctx->shutdown.requested.load(std::memory_order_acquire)) return false;
    const clock::time_point asked{
        clock::duration{self->ctx->shutdown.at_ns.load(std::memory_order_relaxed)}};
    return clock::now() >= asked + self->ctx->options.grace;
  }
};

class connection {
 public:
  connection(int fd, connection_context& ctx) : fd_(fd), ctx_(ctx), framer_(ctx.options.max_line) {}

  void run() {
    for (;;) {
      if (!answer_complete_lines()) return;
      wait_result waited{};
      {
        const lock_released io(ctx_.lock);
        waited = wait_readable(fd_, ctx_.wake, ctx_.options.idle_timeout);
      }
      if (waited == wait_result::woken) return;
      if (waited == wait_result::timeout) {
        (void)send(ctx_.errors[errc::idle_timeout], true);
        return;
      }
      const auto room = framer_.prepare();
      ssize_t got = 0;
      {
        const lock_released io(ctx_.lock);
        do {
          got = ::recv(fd_, room.data(), room.size(), 0);
        } while (got < 0 && errno == EINTR);
      }
      if (got <= 0) {
        // End of stream completes a bare number (that client half-closed to send it); a reset
        // ends the connection.
        if (got == 0) {
          if (const auto bare = framer_.take_bare()) (void)answer(*bare);
        }
        return;
      }
      framer_.commit(static_cast<std::size_t>(got));
    }
  }

 private:
  /// Answers every complete line, then a bare number if the client sent one and waits.
  /// False when the connection must close.
  bool answer_complete_lines() {
    for (;;) {
      const auto ev = framer_.next();
      if (ev.what == protocol::line_framer::status::too_long) {
        (void)send(ctx_.errors[errc::line_too_long], true);
        return false;
      }
      if (ev.what == protocol::line_framer::status::need_more) break;
      if (!answer(ev.line)) return false;
    }
    // The rule of docs/protocol.md: a client that never sent a newline and whose socket holds
    // nothing more sent a bare number.
    if (!framer_.seen_newline() && framer_.buffered() > 0 && bytes_available(fd_) == 0) {
      if (const auto bare = framer_.take_bare()) return answer(*bare);
    }
    return !ctx_.shutdown.requested.load(std::memory_order_acquire);
  }

  bool answer(std::string_view line) {
    const auto request = protocol::parse_request(line, ctx_.options.max_n);
    if (!request.ok()) return send(ctx_.errors[request.error], true);
    ctx_.counters.in_flight.fetch_add(1, std::memory_order_relaxed);
    ctx_.counters.busy.fetch_add(1, std::memory_order_relaxed);
    computation_check check{&ctx_};
    const auto prime = nth_prime(ctx_.options.work, request.n, {&computation_check::poll, &check});
    ctx_.counters.busy.fetch_sub(1, std::memory_order_relaxed);
    ctx_.counters.in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (!prime) {
      (void)send(ctx_.errors[errc::shutting_down], true);
      return false;
    }
    std::array<char, protocol::max_value_reply> reply{};
    const auto len = protocol::format_value(*prime, reply);
    return send({reply.data(), len}, false);
  }

  bool send(std::string_view bytes, bool is_error) {
    (is_error ? ctx_.counters.errors : ctx_.counters.answered)
        .fetch_add(1, std::memory_order_relaxed);
    const lock_released io(ctx_.lock);
    return write_all(fd_, bytes);
  }

  int fd_;
  connection_context& ctx_;
  protocol::line_framer framer_;
};

}  // namespace

void configure_accepted(int fd, const reference_options& options) noexcept {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (options.idle_timeout.count() > 0) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(options.idle_timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((options.idle_timeout.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
}

void serve_connection(int fd, connection_context& ctx) {
  const executors::gil::hold held(ctx.lock);
  connection(fd, ctx).run();
}

}  // namespace primeloop::reference
