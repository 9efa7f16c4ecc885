#include "executors/thread_pool_executor.hpp"

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
      gil_(config.lock) {
  const std::size_t count = resolve_workers(config);
  running_.assign(count, nullptr);
  threads_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) threads_.emplace_back([this, i] { work(i); });
}

thread_pool_executor::~thread_pool_executor() { stop(); }

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

void thread_pool_executor::recycle(job* j) { free_.push_back(j); }

bool thread_pool_executor::submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
  }
  job* j = acquire(n, sink, tag);
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(j);
  }
  ready_.notify_one();
  return true;
}

void thread_pool_executor::cancel_all(result_sink& sink) {
  std::lock_guard lock(mutex_);
  const auto mine = [&](job* j) { return j->sink == &sink; };
  for (job* j : queue_) {
    if (mine(j)) recycle(j);
  }
  std::erase_if(queue_, mine);
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
    aborted.assign(queue_.begin(), queue_.end());
    queued = aborted.size();
    queue_.clear();
    for (job* j : running_) {
      if (j != nullptr && !j->dropped) {
        j->stop.store(true, std::memory_order_relaxed);
        j->dropped = true;
        aborted.push_back(j);
      }
    }
  }
  for (job* j : aborted) {
    j->sink->on_result(j->tag, {0, e});
  }
  // Queued jobs can be reused at once. Running ones come back through deliver(), which recycles
  // them: they may finish while we are here, so asking running_ again would recycle them twice.
  for (std::size_t i = 0; i < queued; ++i) recycle(aborted[i]);
}

void thread_pool_executor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    for (job* j : running_) {
      if (j != nullptr) j->stop.store(true, std::memory_order_relaxed);
    }
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

pool_stats thread_pool_executor::stats() const {
  std::lock_guard lock(mutex_);
  const auto busy = static_cast<std::size_t>(
      std::count_if(running_.begin(), running_.end(), [](job* j) { return j != nullptr; }));
  return {queue_.size(), busy, running_.size(), 0};
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
  if (nice_ > 0) {
    // Linux applies setpriority to a single thread when given its thread id.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), nice_);
  }
  for (;;) {
    job* j = nullptr;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      j = queue_.front();
      queue_.pop_front();
      running_[index] = j;
    }
    stop_check check{&j->stop, j->deadline, gil_};
    const auto value = [&] {
      // With --gil a worker computes only while it holds the lock, as a Python thread runs
      // bytecode; it never holds it while it waits for a job.
      const gil::hold held(gil_);
      return nth_prime(work_, j->n, {&stop_check::poll, &check});
    }();
    j->result = value ? outcome{*value, errc{}}
                      : outcome{0, check.timed_out ? errc::timeout : errc::cancelled};
    bool post = false;
    {
      std::lock_guard lock(mutex_);
      running_[index] = nullptr;
      done_.push_back(j);
      // One wake-up of the loop carries every result finished before it runs.
      post = !deliver_posted_;
      deliver_posted_ = true;
    }
    if (post) asio::post(loop_, [this] { deliver(); });
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
    if (!j->dropped) j->sink->on_result(j->tag, j->result);
    recycle(j);
  }
  delivering_.clear();
}

}  // namespace primeloop::executors
