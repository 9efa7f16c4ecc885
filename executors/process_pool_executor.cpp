#include "executors/process_pool_executor.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <asio/post.hpp>
#include <asio/write.hpp>

namespace primeloop::executors {

using worker_protocol::reply_msg;
using worker_protocol::request_msg;

namespace {

/// Cheap requests of one pass of the loop that go to the same worker before the next worker is
/// used: a handful of microseconds of work, worth less than a second wake-up.
constexpr std::size_t cheap_batch = 8;

/// Requests a worker may hold at once when all of them are cheap.
constexpr std::size_t max_cheap_in_worker = 32;
/// A worker that dies sooner than this after its start, having answered nothing, failed at
/// start-up.
constexpr auto startup_window = std::chrono::seconds(1);
constexpr auto max_backoff = std::chrono::seconds(5);

/// The wait before the next start after `failures` consecutive start-up failures. The first
/// failure is respawned at once (one crash is bad luck); from the second on the wait doubles
/// from 100 ms up to max_backoff, so a worker that cannot start costs a few forks a second.
std::chrono::steady_clock::duration backoff(int failures) {
  if (failures <= 1) return {};
  const auto delay = std::chrono::milliseconds(100) * (1 << std::min(failures - 2, 10));
  return std::min<std::chrono::steady_clock::duration>(delay, max_backoff);
}

long long to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

struct process_pool_executor::worker {
  worker(asio::any_io_executor ex, std::size_t slot_index)
      : socket(std::move(ex)), respawn_timer(socket.get_executor()), slot(slot_index) {}
  pid_t pid = 0;
  asio::local::stream_protocol::socket socket;
  asio::steady_timer respawn_timer;
  std::size_t slot;
  clock::time_point started{};
  clock::time_point head_started{};
  std::deque<job> in_flight;  // sent, in order; the front is computing
  std::array<char, 64 * sizeof(reply_msg)> in{};
  std::size_t have = 0;
  std::vector<request_msg> out;      // to send
  std::vector<request_msg> sending;  // being written
  bool writing = false;
  bool dead = false;
  bool answered = false;  // it has sent at least one reply: it started fine
  bool reaped = false;    // waitpid has collected it: its pid may belong to someone else now
  kill_reason killed_for = kill_reason::none;
  int fast_deaths = 0;  // consecutive start-up failures of this slot
};

process_pool_executor::process_pool_executor(asio::any_io_executor loop,
                                             const executor_config& config)
    : loop_(std::move(loop)),
      work_(config.work),
      queue_limit_(config.queue_limit),
      timeout_(config.request_timeout),
      nice_(config.worker_nice),
      // About a millisecond of work: queueing behind that costs little latency.
      cheap_below_n_(first_costly_n(config.work)),
      parent_pid_(::getpid()),
      fail_at_start_([] {
        const char* v = std::getenv("PRIMELOOP_TEST_WORKER_EXIT");
        return v != nullptr && std::string_view(v) == "1";
      }()),
      sigchld_(loop_, SIGCHLD),
      deadline_timer_(loop_) {
  workers_.resize(resolve_workers(config));
  for (std::size_t i = 0; i < workers_.size(); ++i) spawn(i);
  wait_sigchld();
}

process_pool_executor::~process_pool_executor() {
  stop();
}

void process_pool_executor::spawn(std::size_t slot) {
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
    if (fail_at_start_) ::_exit(70);  // test-only: a worker that cannot start
    ::close(fds[0]);
    run_worker_process(fds[1], parent_pid_, work_, nice_);
  }
  ::close(fds[1]);
  children_.push_back(pid);
  auto w = std::make_shared<worker>(loop_, slot);
  w->pid = pid;
  w->socket.assign(asio::local::stream_protocol(), fds[0]);
  w->started = clock::now();
  if (const auto& old = workers_[slot]) w->fast_deaths = old->fast_deaths;
  workers_[slot] = w;
  start_read(w);
}

void process_pool_executor::start_read(const std::shared_ptr<worker>& w) {
  w->socket.async_read_some(asio::buffer(w->in.data() + w->have, w->in.size() - w->have),
                            [this, w](asio::error_code ec, std::size_t bytes) {
                              if (w->dead) return;
                              if (ec) {
                                on_death(w);
                              } else {
                                on_replies(w, bytes);
                              }
                            });
}

void process_pool_executor::on_replies(const std::shared_ptr<worker>& w, std::size_t bytes) {
  w->have += bytes;
  const std::size_t count = w->have / sizeof(reply_msg);
  for (std::size_t i = 0; i < count && !w->in_flight.empty(); ++i) {
    reply_msg reply{};
    std::memcpy(&reply, w->in.data() + i * sizeof(reply_msg), sizeof reply);
    job j = w->in_flight.front();
    w->in_flight.pop_front();
    w->head_started = clock::now();
    if (!j.dropped) {
      j.sink->on_result(j.tag,
                        reply.ok != 0 ? outcome{reply.value, errc{}} : outcome{0, errc::internal});
    }
  }
  const std::size_t used = count * sizeof(reply_msg);
  std::memmove(w->in.data(), w->in.data() + used, w->have - used);
  w->have -= used;
  if (count > 0) {
    w->answered = true;  // it works: a later death is not a start-up failure
    w->fast_deaths = 0;
  }
  pump();
  if (!w->dead) start_read(w);
}

void process_pool_executor::on_death(const std::shared_ptr<worker>& w) {
  if (w->dead) return;
  w->dead = true;
  asio::error_code ignored;
  w->socket.close(ignored);
  // It may only have closed its socket. A reaped pid is not ours any more: never signal it.
  if (w->pid > 0 && !w->reaped) ::kill(w->pid, SIGKILL);
  if (stopped_) return;

  // The front request was computing: it is the one that failed (or was killed on purpose).
  // The ones queued behind it in the worker did not start: they go back to the front of the
  // queue, in order.
  if (!w->in_flight.empty()) {
    job head = w->in_flight.front();
    w->in_flight.pop_front();
    for (auto it = w->in_flight.rbegin(); it != w->in_flight.rend(); ++it) {
      if (it->dropped) continue;
      (it->cheap ? cheap_queue_ : costly_queue_).push_front(*it);
    }
    w->in_flight.clear();
    if (!head.dropped) {
      const errc e = w->killed_for == kill_reason::timeout ? errc::timeout : errc::worker_died;
      head.sink->on_result(head.tag, {0, e});
    }
  }

  const bool ours = w->killed_for != kill_reason::none;
  const bool at_start = !ours && !w->answered && clock::now() - w->started < startup_window;
  w->fast_deaths = at_start ? w->fast_deaths + 1 : 0;
  ++respawns_;
  const auto delay = backoff(w->fast_deaths);
  if (!ours && delay == clock::duration::zero()) {
    fmt::print(stderr, "primeloop-server: worker {} (pid {}) died; starting a new one\n", w->slot,
               w->pid);
  } else if (!ours) {
    // Dying at start-up again and again: back off instead of forking in a tight loop.
    fmt::print(stderr,
               "primeloop-server: worker {} (pid {}) died at start-up {} times in a row; next "
               "try in {} ms\n",
               w->slot, w->pid, w->fast_deaths, to_ms(delay));
  }
  std::fflush(stderr);
  respawn(w, delay);
}

void process_pool_executor::respawn(const std::shared_ptr<worker>& dead, clock::duration delay) {
  const auto attempt = [this, dead] {
    if (stopped_ || workers_[dead->slot] != dead) return;
    try {
      spawn(dead->slot);
    } catch (const std::exception& e) {
      // Out of processes or descriptors: the loop must go on serving; try again later.
      dead->fast_deaths = std::max(dead->fast_deaths + 1, 2);
      const auto later = backoff(dead->fast_deaths);
      fmt::print(stderr, "primeloop-server: cannot start worker {}: {}; next try in {} ms\n",
                 dead->slot, e.what(), to_ms(later));
      std::fflush(stderr);
      respawn(dead, later);
      return;
    }
    pump();
  };
  if (delay == clock::duration::zero()) {
    attempt();
    return;
  }
  dead->respawn_timer.expires_after(delay);
  dead->respawn_timer.async_wait([attempt](asio::error_code ec) {
    if (!ec) attempt();
  });
}

void process_pool_executor::kill(worker& w, kill_reason why) {
  if (w.dead || w.pid <= 0 || w.reaped) return;
  if (w.killed_for == kill_reason::none) w.killed_for = why;
  ::kill(w.pid, SIGKILL);  // its socket reaches end of stream: on_death does the rest
}

bool process_pool_executor::dispatchable(const worker& w, const job& j) const {
  if (w.dead || w.killed_for != kill_reason::none) return false;
  if (!j.cheap) return w.in_flight.empty();
  if (w.in_flight.size() >= max_cheap_in_worker) return false;
  // A costly request only ever goes to an idle worker, so one can only be at the front.
  return w.in_flight.empty() || w.in_flight.front().cheap;
}

void process_pool_executor::pump() {
  bool sent = false;
  // A request that waited in the queue past its deadline is answered here, without costing a
  // worker that would be killed for it at once.
  if (timeout_.count() > 0) expire_queued(clock::now());
  for (auto* queue : {&costly_queue_, &cheap_queue_}) {
    while (!queue->empty()) {
      if (queue->front().dropped) {
        queue->pop_front();
        continue;
      }
      // A cheap request joins a worker that already gets requests in this pass while that batch
      // is small: one write and one wake-up carry several requests. Otherwise the least loaded
      // worker that may take it, idle ones first.
      worker* best = nullptr;
      const bool cheap = queue->front().cheap;
      for (const auto& w : workers_) {
        if (!w || !dispatchable(*w, queue->front())) continue;
        if (cheap && !w->out.empty() && w->in_flight.size() < cheap_batch) {
          best = w.get();
          break;
        }
        if (best == nullptr || w->in_flight.size() < best->in_flight.size()) best = w.get();
      }
      if (best == nullptr) break;
      job j = queue->front();
      queue->pop_front();
      if (best->in_flight.empty()) best->head_started = clock::now();
      best->out.push_back({j.n});
      best->in_flight.push_back(j);
      sent = true;
    }
  }
  if (sent) schedule_flush();
  if (timeout_.count() > 0) arm_deadline_timer();
}

void process_pool_executor::schedule_flush() {
  // Requests dispatched during one pass of the loop (a whole read of pipelined requests, say)
  // go to each worker in one write.
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(loop_, [this] {
    flush_posted_ = false;
    for (const auto& w : workers_) {
      if (w) flush(w);
    }
  });
}

void process_pool_executor::flush(const std::shared_ptr<worker>& w) {
  if (w->writing || w->dead || w->out.empty()) return;
  w->sending.swap(w->out);
  w->out.clear();
  w->writing = true;
  asio::async_write(w->socket,
                    asio::buffer(w->sending.data(), w->sending.size() * sizeof(request_msg)),
                    [this, w](asio::error_code ec, std::size_t) {
                      w->writing = false;
                      w->sending.clear();
                      if (ec) {
                        if (!w->dead) on_death(w);
                        return;
                      }
                      flush(w);
                    });
}

bool process_pool_executor::submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
  if (stopped_ || cheap_queue_.size() + costly_queue_.size() >= queue_limit_) return false;
  job j;
  j.n = n;
  j.sink = &sink;
  j.tag = tag;
  j.cheap = n < cheap_below_n_;
  if (timeout_.count() > 0) j.deadline = clock::now() + timeout_;
  (j.cheap ? cheap_queue_ : costly_queue_).push_back(j);
  pump();
  return true;
}

void process_pool_executor::cancel_all(result_sink& sink) {
  const auto mine = [&](const job& j) { return j.sink == &sink; };
  std::erase_if(cheap_queue_, mine);
  std::erase_if(costly_queue_, mine);
  for (const auto& w : workers_) {
    if (!w) continue;
    for (auto& j : w->in_flight) {
      if (mine(j)) j.dropped = true;
    }
    // A costly computation nobody wants: kill the worker to free the CPU now. A cheap one is
    // over in about a millisecond, cheaper than a fork.
    if (!w->in_flight.empty() && w->in_flight.front().dropped && !w->in_flight.front().cheap) {
      kill(*w, kill_reason::cancelled);
    }
  }
}

void process_pool_executor::abort_all(errc e) {
  std::vector<job> owed;
  for (auto* queue : {&costly_queue_, &cheap_queue_}) {
    for (auto& j : *queue) {
      if (!j.dropped) owed.push_back(j);
    }
    queue->clear();
  }
  for (const auto& w : workers_) {
    if (!w) continue;
    for (auto& j : w->in_flight) {
      if (!j.dropped) owed.push_back(j);
      j.dropped = true;
    }
  }
  for (const auto& j : owed) j.sink->on_result(j.tag, {0, e});
}

void process_pool_executor::stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::error_code ignored;
  sigchld_.cancel(ignored);
  deadline_timer_.cancel();
  for (const auto& w : workers_) {
    if (!w) continue;
    w->dead = true;
    w->respawn_timer.cancel();
    w->socket.close(ignored);
    if (w->pid > 0 && !w->reaped) ::kill(w->pid, SIGKILL);
  }
  // Every child not reaped yet, including replaced workers whose SIGCHLD has not been handled:
  // all have had SIGKILL, so these waits are short.
  for (const pid_t pid : children_) {
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  children_.clear();
}

pool_stats process_pool_executor::stats() const {
  pool_stats s;
  s.queued = cheap_queue_.size() + costly_queue_.size();
  for (const auto& w : workers_) {
    if (w && !w->dead) {
      ++s.workers;
      if (!w->in_flight.empty()) ++s.busy;
    }
  }
  s.respawns = respawns_;
  return s;
}

std::vector<pid_t> process_pool_executor::worker_pids() const {
  std::vector<pid_t> pids;
  for (const auto& w : workers_) pids.push_back(w && !w->dead ? w->pid : 0);
  return pids;
}

void process_pool_executor::reap() {
  // Signals merge: one SIGCHLD may stand for several dead children.
  int st = 0;
  pid_t pid = 0;
  while ((pid = ::waitpid(-1, &st, WNOHANG)) > 0) {
    std::erase(children_, pid);
    for (const auto& w : workers_) {
      if (w && w->pid == pid) w->reaped = true;
    }
  }
}

void process_pool_executor::wait_sigchld() {
  sigchld_.async_wait([this](asio::error_code ec, int) {
    if (ec || stopped_) return;
    reap();
    wait_sigchld();
  });
}

bool process_pool_executor::expire_queued(clock::time_point now) {
  // Each queue is in submission order (requeued requests go back to the front, and they are
  // older still), so the late ones are at the front.
  std::vector<job> late;
  for (auto* queue : {&costly_queue_, &cheap_queue_}) {
    while (!queue->empty() && queue->front().deadline <= now) {
      if (!queue->front().dropped) late.push_back(queue->front());
      queue->pop_front();
    }
  }
  for (const auto& j : late) j.sink->on_result(j.tag, {0, errc::timeout});
  return !late.empty();
}

void process_pool_executor::arm_deadline_timer() {
  if (stopped_ || timeout_.count() <= 0) return;
  auto next = clock::time_point::max();
  for (const auto& w : workers_) {
    // A worker already being killed is left out: its death is on its way.
    if (w && !w->dead && w->killed_for == kill_reason::none && !w->in_flight.empty()) {
      next = std::min(next, w->in_flight.front().deadline);
    }
  }
  for (auto* queue : {&costly_queue_, &cheap_queue_}) {
    if (!queue->empty()) next = std::min(next, queue->front().deadline);
  }
  if (next == clock::time_point::max()) return;
  if (deadline_armed_ && deadline_timer_.expiry() <= next) return;
  deadline_armed_ = true;
  // Setting the expiry cancels an earlier wait; that handler sees operation_aborted and leaves
  // deadline_armed_ to this one.
  deadline_timer_.expires_at(next);
  deadline_timer_.async_wait([this](asio::error_code ec) {
    if (ec) return;
    deadline_armed_ = false;
    if (stopped_) return;
    const auto now = clock::now();
    for (const auto& w : workers_) {
      if (w && !w->dead && !w->in_flight.empty() && w->in_flight.front().deadline <= now) {
        kill(*w, kill_reason::timeout);
      }
    }
    expire_queued(now);
    arm_deadline_timer();
  });
}

}  // namespace primeloop::executors
