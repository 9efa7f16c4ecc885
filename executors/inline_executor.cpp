#include "executors/inline_executor.hpp"

#include <vector>

#include "executors/gil.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>

namespace primeloop::executors {

inline_executor::inline_executor(asio::any_io_executor loop, const executor_config& config)
    : loop_(std::move(loop)),
      work_(config.work),
      queue_limit_(config.queue_limit),
      timeout_(config.request_timeout),
      grace_(config.grace),
      shutdown_(config.shutdown),
      lock_(config.lock),
      shares_(connection_share_of(config, 1)) {
  // The loop's io_context, to serve its ready I/O between two turns (run_turn). Another kind of
  // executor (a test's strand, say) has none: turns are then only posted.
  if (const auto* ex = loop_.target<asio::io_context::executor_type>()) io_ = &ex->context();
}

namespace {

using clock = std::chrono::steady_clock;

/// What the interrupt check of an inline computation watches. The loop thread is blocked, so
/// nothing can tell it to stop: it looks for itself, every few thousand steps.
struct inline_watch {
  clock::time_point deadline = clock::time_point::max();  // --request-timeout
  std::chrono::milliseconds grace{};
  const shutdown_flag* shutdown = nullptr;  // set by the signal watcher's thread
  gil* lock = nullptr;  // --gil: pool threads beside the loop (adaptive offload) may ask for it
  errc stopped_for{};

  static bool poll(void* ctx) {
    auto* self = static_cast<inline_watch*>(ctx);
    if (self->lock != nullptr) self->lock->yield_if_requested();
    const bool timed = self->deadline != clock::time_point::max();
    const bool watched =
        self->shutdown != nullptr && self->shutdown->requested.load(std::memory_order_acquire);
    if (!timed && !watched) return false;  // the common case: no clock read
    const auto now = clock::now();
    if (now >= self->deadline) {
      self->stopped_for = errc::timeout;
      return true;
    }
    if (watched) {
      // Work in flight has --grace to finish after SIGINT/SIGTERM, then ERR shutting down.
      const clock::time_point asked{
          clock::duration{self->shutdown->at_ns.load(std::memory_order_relaxed)}};
      if (now >= asked + self->grace) {
        self->stopped_for = errc::shutting_down;
        return true;
      }
    }
    return false;
  }
};

}  // namespace

bool inline_executor::submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
  if (stopped_ || queue_.size() >= queue_limit_ || !shares_.try_take(&sink)) return false;
  request r{n, &sink, tag};
  // The deadline counts from arrival, as in the pools: waiting for a turn is part of it.
  if (timeout_.count() > 0) r.deadline = clock::now() + timeout_;
  queue_.push_back(r);
  post_turn();
  return true;
}

void inline_executor::post_turn() {
  // Posted, not run here: the session's read batch ends first. Not during a turn either: the
  // turn posts the next one when it has served the loop's I/O.
  if (turn_posted_ || in_turn_ || stopped_) return;
  turn_posted_ = true;
  asio::post(loop_, [this] { run_turn(); });
}

void inline_executor::answer(const request& r, outcome result) {
  shares_.give_back(r.sink);
  r.sink->on_result(r.tag, result);
}

void inline_executor::run_turn() {
  turn_posted_ = false;
  in_turn_ = true;
  compute_turn();
  // One turn, then the loop serves every I/O event that is ready, and what those events lead
  // to, before the next turn: the answers just computed go out, a newcomer is accepted and its
  // request read and queued (it then has the next turn: fair_queue), a client that left is
  // noticed and its queued work dropped. A posted turn alone is not enough: each step of that
  // chain (accept, the session's start, the wait for its first bytes, the read) is one more
  // pass of the loop's queue, and each pass would hold a turn of the computations.
  if (!queue_.empty() && !stopped_ && io_ != nullptr) {
    // A handler that throws ends the loop's run(); the executor must not stay "in a turn".
    struct leave_turn {
      bool& flag;
      ~leave_turn() { flag = false; }
    } leave{in_turn_};
    serve_io();
  }
  in_turn_ = false;
  // Posted rather than looped here: this handler ends, and what it left for the loop runs
  // before the next turn too.
  if (!queue_.empty()) post_turn();
}

void inline_executor::serve_io() {
  // A nested poll: Asio's scheduler supports poll() inside a handler. It returns when nothing is
  // ready; the bound only keeps a flood of events (thousands of connections arriving at once)
  // from postponing the computations for long.
  constexpr int most_handlers = 4096;
  for (int i = 0; i < most_handlers && !stopped_ && !io_->stopped(); ++i) {
    if (io_->poll_one() == 0) break;
  }
}

void inline_executor::compute_turn() {
  const gil::hold held(queue_.empty() ? nullptr : lock_);
  // A run of cheap requests shares one turn, up to about a millisecond of work: one loop event
  // for a pipelined burst of small ones. A costly one has a turn of its own: it starts a turn,
  // never ends one, or a newcomer's cheap request would wait for its answer behind it.
  double spent = 0;
  while (!stopped_ && spent < cheap_cost) {
    const auto next = queue_.take_if([&](const request& r) {
      return spent == 0 || spent + estimated_cost(work_, r.n) <= cheap_cost;
    });
    if (!next) break;
    const request r = *next;
    spent += estimated_cost(work_, r.n);
    inline_watch watch;
    watch.deadline = r.deadline;
    watch.grace = grace_;
    watch.shutdown = shutdown_;
    watch.lock = lock_;
    if (r.deadline != clock::time_point::max() && clock::now() >= r.deadline) {
      answer(r, {0, errc::timeout});  // waited past --request-timeout: not worth computing
      continue;
    }
    const auto value = nth_prime(work_, r.n, {&inline_watch::poll, &watch});
    answer(r, value ? outcome{*value, errc{}} : outcome{0, watch.stopped_for});
  }
}

void inline_executor::cancel_all(result_sink& sink) {
  queue_.remove(&sink, [](const request&) {});
  shares_.forget(&sink);
}

void inline_executor::abort_all(errc e) {
  std::vector<request> owed;
  queue_.drain([&](const request& r) { owed.push_back(r); });
  for (const auto& r : owed) answer(r, {0, e});
}

void inline_executor::stop() {
  stopped_ = true;
  queue_.drain([](const request&) {});
  shares_.clear();
}

}  // namespace primeloop::executors
