#include "executors/worker_process.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <asio/write.hpp>

namespace primeloop::executors {

worker_process::worker_process(asio::any_io_executor ex, listener& to, std::size_t slot)
    : socket_(std::move(ex)), listener_(to), slot_(slot) {}

std::shared_ptr<worker_process> worker_process::spawn(asio::any_io_executor ex,
                                                      const start_options& options, listener& to,
                                                      std::size_t slot) {
  // Everything that allocates happens before fork: the server may have threads (the stats
  // printer, the signal watcher), and the child only calls async-signal-safe functions.
  auto w = std::make_shared<worker_process>(std::move(ex), to, slot);
  w->out_.reserve(64);
  w->sending_.reserve(64);
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot create a worker socket pair");
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(err, std::generic_category(), "cannot fork a worker process");
  }
  if (pid == 0) {
    if (options.start_hook != nullptr) options.start_hook();
    ::close(fds[0]);
    worker_main(fds[1], options.parent, options.work, options.nice);
  }
  ::close(fds[1]);
  w->pid_ = pid;
  w->started_ = clock::now();
  w->socket_.assign(asio::local::stream_protocol(), fds[0]);
  w->start_read();
  return w;
}

void worker_process::start_read() {
  socket_.async_read_some(asio::buffer(in_.data() + have_, in_.size() - have_),
                          [self = shared_from_this()](asio::error_code ec, std::size_t bytes) {
                            if (self->dead_) return;
                            if (ec) {
                              self->on_gone();
                            } else {
                              self->on_read(bytes);
                            }
                          });
}

void worker_process::on_read(std::size_t bytes) {
  have_ += bytes;
  const std::size_t count = have_ / sizeof(reply);
  std::array<reply, 64> replies{};
  std::memcpy(replies.data(), in_.data(), count * sizeof(reply));
  const std::size_t used = count * sizeof(reply);
  std::memmove(in_.data(), in_.data() + used, have_ - used);
  have_ -= used;
  if (count > 0) listener_.on_replies(*this, std::span<const reply>(replies.data(), count));
  if (!dead_) start_read();
}

void worker_process::on_gone() {
  dead_ = true;
  asio::error_code ignored;
  socket_.close(ignored);
  // It may only have closed its socket: make sure it is gone.
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
  listener_.on_exit(*this);
}

void worker_process::flush() {
  if (writing_ || dead_ || out_.empty()) return;
  sending_.swap(out_);
  out_.clear();
  writing_ = true;
  asio::async_write(socket_,
                    asio::buffer(sending_.data(), sending_.size() * sizeof(sending_.front())),
                    [self = shared_from_this()](asio::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->sending_.clear();
                      if (self->dead_) return;
                      if (ec) {
                        self->on_gone();
                        return;
                      }
                      self->flush();
                    });
}

void worker_process::kill(kill_reason why) {
  if (dead_ || pid_ <= 0 || reaped_) return;
  if (killed_for_ == kill_reason::none) killed_for_ = why;
  ::kill(pid_, SIGKILL);
}

void worker_process::close() {
  if (killed_for_ == kill_reason::none) killed_for_ = kill_reason::stopping;
  dead_ = true;
  asio::error_code ignored;
  socket_.close(ignored);
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
}

}  // namespace primeloop::executors
