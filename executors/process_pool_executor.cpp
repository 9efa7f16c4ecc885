#include "executors/process_pool_executor.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>

#include <fmt/format.h>

namespace primeloop::executors {

namespace {

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

process_pool_executor::process_pool_executor(asio::any_io_executor loop,
                                             const executor_config& config)
    : loop_(std::move(loop)),
      start_{config.work, config.worker_nice, ::getpid(), config.worker_start_hook},
      reaper_(loop_,
              [this](pid_t pid) {
                for (const auto& s : slots_) {
                  if (s->proc && s->proc->pid() == pid) s->proc->mark_reaped();
                }
              }),
      scheduler_(loop_, config, resolve_workers(config)) {
  const std::size_t count = resolve_workers(config);
  for (std::size_t i = 0; i < count; ++i) slots_.push_back(std::make_unique<slot>(loop_));
  for (std::size_t i = 0; i < count; ++i) spawn(i);
}

process_pool_executor::~process_pool_executor() {
  stop();
}

void process_pool_executor::spawn(std::size_t i) {
  auto w = worker_process::spawn(loop_, start_, *this, i);
  reaper_.watch(w->pid());
  slot& s = *slots_[i];
  s.proc = std::move(w);
  s.answered = false;
  scheduler_.attach(*s.proc);
}

void process_pool_executor::on_replies(worker_process& w,
                                       std::span<const worker_process::reply> replies) {
  slot& s = *slots_[w.slot()];
  if (!s.answered) {
    s.answered = true;  // it works: a later death is not a start-up failure
    s.fast_deaths = 0;
  }
  scheduler_.on_replies(w, replies);
}

void process_pool_executor::on_exit(worker_process& w) {
  if (stopped_) return;
  slot& s = *slots_[w.slot()];
  if (s.proc.get() != &w) return;
  scheduler_.detach(w);

  // Killed on purpose (a gone client's costly request, --request-timeout) or a crash: only a
  // crash is reported, and only a crash may be a start-up failure.
  const bool ours = w.killed_for() != worker_process::kill_reason::none;
  ++(ours ? cancel_kills_ : crashes_);
  const bool at_start = !ours && !s.answered && clock::now() - w.started() < startup_window;
  s.fast_deaths = at_start ? s.fast_deaths + 1 : 0;
  const auto delay = backoff(s.fast_deaths);
  if (!ours && delay == clock::duration::zero()) {
    fmt::print(stderr, "primeloop-server: worker {} (pid {}) died; starting a new one\n", w.slot(),
               w.pid());
  } else if (!ours) {
    // Dying at start-up again and again: back off instead of forking in a tight loop.
    fmt::print(stderr,
               "primeloop-server: worker {} (pid {}) died at start-up {} times in a row; next "
               "try in {} ms\n",
               w.slot(), w.pid(), s.fast_deaths, to_ms(delay));
  }
  std::fflush(stderr);
  respawn(w.slot(), delay);
}

void process_pool_executor::respawn(std::size_t i, clock::duration delay) {
  const auto attempt = [this, i] {
    if (stopped_) return;
    slot& s = *slots_[i];
    try {
      spawn(i);
    } catch (const std::exception& e) {
      // Out of processes or descriptors: the loop must go on serving; try again later.
      s.fast_deaths = std::max(s.fast_deaths + 1, 2);
      const auto later = backoff(s.fast_deaths);
      fmt::print(stderr, "primeloop-server: cannot start worker {}: {}; next try in {} ms\n", i,
                 e.what(), to_ms(later));
      std::fflush(stderr);
      respawn(i, later);
    }
  };
  if (delay == clock::duration::zero()) {
    attempt();
    return;
  }
  slots_[i]->respawn_timer.expires_after(delay);
  slots_[i]->respawn_timer.async_wait([attempt](asio::error_code ec) {
    if (!ec) attempt();
  });
}

bool process_pool_executor::submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
  return !stopped_ && scheduler_.submit(n, sink, tag);
}

void process_pool_executor::cancel_all(result_sink& sink) {
  scheduler_.cancel_all(sink);
}

void process_pool_executor::abort_all(errc e) {
  scheduler_.abort_all(e);
}

void process_pool_executor::stop() {
  if (stopped_) return;
  stopped_ = true;
  scheduler_.stop();
  for (const auto& s : slots_) {
    s->respawn_timer.cancel();
    if (s->proc) s->proc->close();
  }
  // Every child not reaped yet, replaced workers included: all have had SIGKILL.
  reaper_.wait_all();
}

pool_stats process_pool_executor::stats() const {
  pool_stats st;
  st.queued = scheduler_.queued();
  st.busy = scheduler_.busy();
  st.workers = static_cast<std::size_t>(std::count_if(
      slots_.begin(), slots_.end(), [](const auto& s) { return s->proc && !s->proc->dead(); }));
  st.crashes = crashes_;
  st.cancel_kills = cancel_kills_;
  return st;
}

std::vector<pid_t> process_pool_executor::worker_pids() const {
  std::vector<pid_t> pids;
  for (const auto& s : slots_) pids.push_back(s->proc && !s->proc->dead() ? s->proc->pid() : 0);
  return pids;
}

}  // namespace primeloop::executors
