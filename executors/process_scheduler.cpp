#include "executors/process_scheduler.hpp"

#include <algorithm>

#include <asio/post.hpp>

namespace primeloop::executors {

process_scheduler::process_scheduler(asio::any_io_executor loop, const executor_config& config,
                                     std::size_t slots)
    : loop_(std::move(loop)),
      work_(config.work),
      queue_limit_(config.queue_limit),
      timeout_(config.request_timeout),
      // About a millisecond of work: queueing behind that costs little latency.
      cheap_below_n_(first_costly_n(config.work)),
      shares_(connection_share_of(config, slots)),
      slots_(slots),
      loads_(slots),
      deadline_timer_(loop_) {}

bool process_scheduler::submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
  if (stopped_ || queue_.size() >= queue_limit_ || !shares_.try_take(&sink)) return false;
  job j;
  j.n = n;
  j.sink = &sink;
  j.tag = tag;
  j.cheap = n < cheap_below_n_;
  j.cost = estimated_cost(work_, n);
  if (timeout_.count() > 0) j.deadline = clock::now() + timeout_;
  queue_.push_back(j);
  dispatch();
  return true;
}

void process_scheduler::answer(const job& j, outcome result) {
  shares_.give_back(j.sink);
  j.sink->on_result(j.tag, result);
}

process_scheduler::slot* process_scheduler::pick(const job& j) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const slot& s = slots_[i];
    worker_load& w = loads_[i];
    w.usable = s.proc != nullptr && !s.proc->dead() &&
               s.proc->killed_for() == worker_process::kill_reason::none;
    w.in_flight = s.in_flight.size();
    w.computing_costly = !s.in_flight.empty() && !s.in_flight.front().cheap;
    w.unsent = w.usable && s.proc->has_unsent();
    // Summed, not kept: at most max_cheap_in_worker requests, and only a cheap request asks.
    w.queued_cost = 0;
    if (j.cheap && w.usable) {
      for (const auto& queued : s.in_flight) w.queued_cost += queued.cost;
    }
  }
  const auto to = place(loads_, {j.cheap, j.cost});
  return to ? &slots_[*to] : nullptr;
}

void process_scheduler::dispatch() {
  // A request that waited in the queue past its deadline is answered here, without costing a
  // worker that would be killed for it at once.
  if (timeout_.count() > 0) expire_queued(clock::now());
  bool sent = false;
  for (;;) {
    // Connections take turns: each step takes the front request of the first connection, in
    // turn order, that some worker may run now. A connection whose next request is costly
    // while no worker is idle keeps its place; cheap requests of others may pass it.
    slot* to = nullptr;
    const auto j = queue_.take_if([&](const job& candidate) {
      to = pick(candidate);
      return to != nullptr;
    });
    if (!j) break;
    to->proc->send(j->n);
    to->in_flight.push_back(*j);
    sent = true;
  }
  if (sent) schedule_flush();
  if (timeout_.count() > 0) arm_deadline_timer();
}

void process_scheduler::schedule_flush() {
  // Requests dispatched during one pass of the loop (a whole read of pipelined requests, say)
  // go to each worker in one write.
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(loop_, [this] {
    flush_posted_ = false;
    for (const auto& s : slots_) {
      if (s.proc != nullptr) s.proc->flush();
    }
  });
}

void process_scheduler::attach(worker_process& w) {
  slots_[w.slot()] = slot{&w, {}};
  dispatch();
}

void process_scheduler::detach(worker_process& w) {
  slot& s = slots_[w.slot()];
  if (s.proc != &w) return;
  s.proc = nullptr;
  if (stopped_ || s.in_flight.empty()) return;
  // The front request was computing: it is the one that failed (or was killed on purpose). The
  // ones queued behind it in the worker did not start.
  const job head = s.in_flight.front();
  s.in_flight.pop_front();
  for (auto it = s.in_flight.rbegin(); it != s.in_flight.rend(); ++it) {
    if (!it->dropped) queue_.push_front(*it);
  }
  s.in_flight.clear();
  if (!head.dropped) {
    const bool late = w.killed_for() == worker_process::kill_reason::timeout;
    answer(head, {0, late ? errc::timeout : errc::worker_died});
  }
  dispatch();
}

void process_scheduler::on_replies(worker_process& w,
                                   std::span<const worker_process::reply> replies) {
  slot& s = slots_[w.slot()];
  if (s.proc != &w) return;
  for (const auto& reply : replies) {
    if (s.in_flight.empty()) break;
    const job j = s.in_flight.front();
    s.in_flight.pop_front();
    if (!j.dropped) {
      answer(j, reply.ok != 0 ? outcome{reply.value, errc{}} : outcome{0, errc::internal});
    }
  }
  dispatch();
}

void process_scheduler::cancel_all(result_sink& sink) {
  queue_.remove(&sink, [](const job&) {});
  shares_.forget(&sink);
  for (auto& s : slots_) {
    for (auto& j : s.in_flight) {
      if (j.sink == &sink) j.dropped = true;
    }
    // A costly computation nobody wants: kill the worker to free the CPU now. A cheap one is
    // over in about a millisecond, cheaper than a fork.
    if (s.proc != nullptr && !s.in_flight.empty() && s.in_flight.front().dropped &&
        !s.in_flight.front().cheap) {
      s.proc->kill(worker_process::kill_reason::cancelled);
    }
  }
}

void process_scheduler::abort_all(errc e) {
  std::vector<job> owed;
  queue_.drain([&](const job& j) { owed.push_back(j); });
  for (auto& s : slots_) {
    for (auto& j : s.in_flight) {
      if (!j.dropped) owed.push_back(j);
      j.dropped = true;
    }
  }
  for (const auto& j : owed) answer(j, {0, e});
}

void process_scheduler::stop() {
  stopped_ = true;
  deadline_timer_.cancel();
  queue_.drain([](const job&) {});
  shares_.clear();
  for (auto& s : slots_) s = slot{};
}

std::size_t process_scheduler::busy() const noexcept {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const slot& s) {
    return s.proc != nullptr && !s.in_flight.empty();
  }));
}

void process_scheduler::expire_queued(clock::time_point now) {
  std::vector<job> late;
  queue_.remove_fronts_while([&](const job& j) { return j.deadline <= now; },
                             [&](const job& j) { late.push_back(j); });
  for (const auto& j : late) answer(j, {0, errc::timeout});
}

void process_scheduler::arm_deadline_timer() {
  if (stopped_ || timeout_.count() <= 0) return;
  auto next = clock::time_point::max();
  for (const auto& s : slots_) {
    // A worker already being killed is left out: its death is on its way.
    if (s.proc != nullptr && s.proc->killed_for() == worker_process::kill_reason::none &&
        !s.in_flight.empty()) {
      next = std::min(next, s.in_flight.front().deadline);
    }
  }
  queue_.for_each_front([&](const job& j) { next = std::min(next, j.deadline); });
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
    for (auto& s : slots_) {
      if (s.proc != nullptr && !s.in_flight.empty() && s.in_flight.front().deadline <= now) {
        s.proc->kill(worker_process::kill_reason::timeout);
      }
    }
    expire_queued(now);
    arm_deadline_timer();
  });
}

}  // namespace primeloop::executors
