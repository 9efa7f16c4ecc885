#include "executors/thread_pool_executor.hpp"

#include "executors/costly_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include <asio/post.hpp>

namespace primeloop::executors {

thread_pool_executor::thread_pool_executor(asio::any_io_executor loop,
                                           const executor_config& config)
    : loop_(std::move(loop)),
      work_(config.work),
      queue_limit_(config.queue_limit),
      timeout_(config.request_timeout),
      nice_(config.worker_nice),
      gil_(config.lock),
      cheap_below_n_(first_costly_n(config.work)),
      shares_(connection_share_of(config, resolve_workers(config))) {
  const std::size_t count = resolve_workers(config);
  running_.assign(count, nullptr);
  wake_ = std::vector<std::condition_variable>(count);
  woken_.assign(count, false);
  idle_.reserve(count);
  threads_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) threads_.emplace_back([this, i] { work(i); });
}

thread_pool_executor::~thread_pool_executor() {
  stop();
}

thread_pool_executor::job* thread_pool_executor::acquire(std::uint64_t n, result_sink& sink,
                                                         std::uint64_t tag) {
  job* j = nullptr;
  if (free_.empty()) {
    jobs_.push_back(std::make_unique<job>());
    j = jobs_.back().get();
  } else {
    j = free_.back();
    free_.pop_back();
  }
  j->n = n;
  j->sink = &sink;
  j->tag = tag;
  j->deadline = timeout_.count() > 0 ? std::chrono::steady_clock::now() + timeout_
                                     : std::chrono::steady_clock::time_point::max();
  j->stop.store(false, std::memory_order_relaxed);
  j->dropped = false;
  j->result = {};
  return j;
}

void thread_pool_executor::recycle(job* j) {
  free_.push_back(j);
}

bool thread_pool_executor::submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
  if (stopped_ || waiting_.load(std::memory_order_relaxed) >= queue_limit_) return false;
  if (!shares_.try_take(&sink)) return false;
  waiting_.fetch_add(1, std::memory_order_relaxed);
  staged_.push_back(acquire(n, sink, tag));
  // Jobs submitted during one pass of the loop (every request of a read, of every connection
  // that was ready) reach the workers under one lock, with one wake-up per idle worker at most.
  if (!publish_posted_) {
    publish_posted_ = true;
    asio::post(loop_, [this] { publish(); });
  }
  return true;
}

void thread_pool_executor::publish() {
  publish_posted_ = false;
  if (staged_.empty()) return;
  // One worker drains a run of cheap jobs faster than several woken for them; each costly job
  // gets a worker of its own, so cheap ones never wait behind it while a thread sleeps.
  const auto costly = static_cast<std::size_t>(std::count_if(
      staged_.begin(), staged_.end(), [this](const job* j) { return j->n >= cheap_below_n_; }));
  const std::size_t wanted = costly + (costly < staged_.size() ? 1 : 0);
  waking_.clear();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    for (job* j : staged_) queue_.push_back(j);
    // The threads idle last first.
    const std::size_t wake = std::min(idle_.size(), wanted);
    for (std::size_t k = 0; k < wake; ++k) {
      waking_.push_back(idle_.back());
      idle_.pop_back();
      woken_[waking_.back()] = true;
    }
  }
  staged_.clear();
  for (const std::size_t t : waking_) wake_[t].notify_one();
}

void thread_pool_executor::cancel_all(result_sink& sink) {
  const auto mine = [&](job* j) { return j->sink == &sink; };
  for (job* j : staged_) {
    if (mine(j)) recycle(j);
  }
  waiting_.fetch_sub(static_cast<std::size_t>(std::erase_if(staged_, mine)),
                     std::memory_order_relaxed);
  shares_.forget(&sink);
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  queue_.remove(&sink, [&](job* j) {
    recycle(j);
    ++removed;
  });
  waiting_.fetch_sub(removed, std::memory_order_relaxed);
  for (job* j : running_) {
    if (j != nullptr && mine(j)) {
      j->dropped = true;  // recycled by deliver() when its thread hands it back
      j->stop.store(true, std::memory_order_relaxed);
    }
  }
  for (job* j : done_) {
    if (mine(j)) j->dropped = true;
  }
}

void thread_pool_executor::abort_all(errc e) {
  std::vector<job*> aborted;
  std::size_t queued = 0;
  {
    std::lock_guard lock(mutex_);
    aborted.assign(staged_.begin(), staged_.end());
    queue_.drain([&](job* j) { aborted.push_back(j); });
    queued = aborted.size();
    staged_.clear();
    waiting_.fetch_sub(queued, std::memory_order_relaxed);
    for (job* j : running_) {
      if (j != nullptr && !j->dropped) {
        j->stop.store(true, std::memory_order_relaxed);
        j->dropped = true;
        aborted.push_back(j);
      }
    }
  }
  for (job* j : aborted) {
    shares_.give_back(j->sink);
    j->sink->on_result(j->tag, {0, e});
  }
  // Queued jobs can be reused at once. Running ones come back through deliver(), which recycles
  // them: they may finish while we are here, so asking running_ again would recycle them twice.
  for (std::size_t i = 0; i < queued; ++i) recycle(aborted[i]);
}

void thread_pool_executor::stop() {
  stopped_ = true;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    for (job* j : running_) {
      if (j != nullptr) j->stop.store(true, std::memory_order_relaxed);
    }
  }
  for (auto& w : wake_) w.notify_one();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

pool_stats thread_pool_executor::stats() const {
  std::lock_guard lock(mutex_);
  const auto busy = static_cast<std::size_t>(
      std::count_if(running_.begin(), running_.end(), [](job* j) { return j != nullptr; }));
  return {queue_.size() + staged_.size(), busy, running_.size(), 0};
}

namespace {

struct stop_check {
  const std::atomic<bool>* stop;
  std::chrono::steady_clock::time_point deadline;
  gil* lock = nullptr;
  bool timed_out = false;
  static bool poll(void* ctx) {
    auto* self = static_cast<stop_check*>(ctx);
    // The workload's check point is the model's eval loop check: hand the lock over on request.
    if (self->lock != nullptr) self->lock->yield_if_requested();
    if (self->stop->load(std::memory_order_relaxed)) return true;
    if (self->deadline != std::chrono::steady_clock::time_point::max() &&
        std::chrono::steady_clock::now() >= self->deadline) {
      self->timed_out = true;
      return true;
    }
    return false;
  }
};

}  // namespace

void thread_pool_executor::work(std::size_t index) {
  job* finished = nullptr;
  for (;;) {
    job* j = nullptr;
    bool post = false;
    {
      // One lock per job: hand back the last result and take the next job together.
      std::unique_lock lock(mutex_);
      if (finished != nullptr) {
        running_[index] = nullptr;
        done_.push_back(finished);
        // One wake-up of the loop carries every result finished before it runs.
        post = !deliver_posted_;
        deliver_posted_ = true;
        finished = nullptr;
      }
      if (queue_.empty() && !stopping_) {
        if (post) {
          // Tell the loop before sleeping, outside the lock.
          lock.unlock();
          asio::post(loop_, [this] { deliver(); });
          post = false;
          lock.lock();
        }
        idle_.push_back(index);
        woken_[index] = false;
        // The queue too: a publish while the lock was let go above found this thread busy
        // and woke nobody for its jobs.
        wake_[index].wait(lock, [&] { return stopping_ || woken_[index] || !queue_.empty(); });
        if (!woken_[index]) std::erase(idle_, index);  // not taken off idle_ by a publish
        // Another thread may have taken the job meanwhile: then this one goes idle again.
        if (!stopping_ && queue_.empty()) continue;
      }
      if (stopping_) return;
      // The next connection's turn: a backlog of one client does not hold up the others.
      j = *queue_.take();
      running_[index] = j;
    }
    waiting_.fetch_sub(1, std::memory_order_relaxed);
    if (post) asio::post(loop_, [this] { deliver(); });
    if (j->deadline != std::chrono::steady_clock::time_point::max() &&
        std::chrono::steady_clock::now() >= j->deadline) {
      // It waited in the queue past --request-timeout: it gets ERR timeout without using the
      // worker, as the process pool does; a cheap computation would never reach a check point.
      j->result = {0, errc::timeout};
      finished = j;
      continue;
    }
    const costly_priority priority(nice_, j->n >= cheap_below_n_);
    stop_check check{&j->stop, j->deadline, gil_};
    const auto value = [&] {
      // With --gil a worker computes only while it holds the lock, as a Python thread runs
      // bytecode; it never holds it while it waits for a job.
      const gil::hold held(gil_);
      return nth_prime(work_, j->n, {&stop_check::poll, &check});
    }();
    j->result = value ? outcome{*value, errc{}}
                      : outcome{0, check.timed_out ? errc::timeout : errc::cancelled};
    finished = j;
  }
}

void thread_pool_executor::deliver() {
  // A result delivery is an event of the loop: with --gil it runs under the lock.
  const gil::hold held(gil_);
  {
    std::lock_guard lock(mutex_);
    delivering_.swap(done_);
    deliver_posted_ = false;
  }
  for (job* j : delivering_) {
    if (!j->dropped) {
      shares_.give_back(j->sink);
      j->sink->on_result(j->tag, j->result);
    }
    recycle(j);
  }
  delivering_.clear();
}

}  // namespace primeloop::executors
