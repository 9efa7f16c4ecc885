// The open-loop load: requests go out on a fixed schedule whatever the server does, so a stalled
// server is charged for every request that fell due meanwhile (no coordinated omission).
#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <deque>
#include <exception>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "clients/measured_run.hpp"
#include "clients/reply_lines.hpp"
#include "clients/send_schedule.hpp"

namespace primeloop::clients {
namespace {

namespace net = asio;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds late_send{1};
constexpr std::size_t max_batch = 256;  // requests in one write

/// One request, from its due time to its answer.
struct request {
  clock::time_point due;
  clock::time_point sent{};  // when its connection wrote it (unset while queued)
  bool measured = false;     // due in the measured seconds (not in the warm-up)
  bool during_long = false;  // due while the long request was outstanding
};

/// One connection: a writer that sends what the schedule hands it (pipelined behind whatever
/// is still unanswered) and a reader that matches answers to requests in order.
struct connection {
  explicit connection(const net::any_io_executor& ex) : socket(ex), wake(ex) {}
  tcp::socket socket;
  net::steady_timer wake;        // the writer's condition variable: cancelled when work comes
  std::deque<request> requests;  // written ones first, then `queued` not yet written
  std::size_t queued = 0;
  reply_lines replies;
  bool failed = false;
  bool answered = false;
  unsigned answered_in = 0;         // the last measured second (1-based) it got a reply in
  clock::time_point last_answer{};  // when the latest answer on it came
};

class open_loop_run final : public measured_run {
 public:
  open_loop_run(net::any_io_executor ex, load_config config, second_callback on_second,
                net::cancellation_slot stop)
      : measured_run(std::move(ex), std::move(config), std::move(on_second), stop), pace_(ex_) {
    const std::string one = fmt::format("{}\n", config_.n);
    request_len_ = one.size();
    for (std::size_t i = 0; i < max_batch; ++i) requests_ += one;
    open_.rate = config_.rate;
  }

  net::awaitable<load_result> run() {
    // However the measurement ends, every coroutine spawned here has returned before the run
    // (which they point at) goes out of scope.
    co_await tasks_.run_then_join(measure(), [this] { stop(); });
    result_.open_loop = std::move(open_);
    co_return std::move(result_);
  }

 private:
  net::awaitable<void> measure() {
    if (config_.connections == 0)
      throw std::invalid_argument("the load needs at least one connection");
    if (config_.duration_s == 0) throw std::invalid_argument("the duration must be at least 1 s");
    co_await connect_all(connections_);
    const auto begin = clock::now();
    schedule_.emplace(begin, config_.rate, config_.connections);
    measure_start_ = begin + config_.warmup;
    end_ = measure_start_ + std::chrono::seconds{config_.duration_s};
    for (auto& c : connections_) {
      spawn(write(c));
      spawn(read(c));
    }
    spawn(pace());
    if (config_.warmup.count() > 0 && !interrupted_) {
      tick_.expires_at(measure_start_);
      co_await tick_.async_wait(use_tuple);
    }
    co_await measure_seconds(measure_start_);
  }

  /// Hands every request that is due to its connection, then sleeps until the next one is.
  /// When the loop wakes late it sends the backlog at once: the schedule is never shifted.
  net::awaitable<void> pace() {
    while (!stopping_) {
      const auto due = schedule_->due(next_);
      if (due >= end_) co_return;
      if (due > clock::now()) {
        pace_.expires_at(due);
        co_await pace_.async_wait(use_tuple);
        if (stopping_) co_return;
      }
      const auto now = clock::now();
      for (; !stopping_; ++next_) {
        const auto d = schedule_->due(next_);
        if (d > now || d >= end_) break;
        auto& c = connections_[schedule_->connection_of(next_)];
        const bool measured = d >= measure_start_;
        if (measured) {
          ++open_.due;
          note_lag(now - d);
        }
        if (measured && long_.outstanding) ++open_.during_long_due;
        if (c.failed) {
          if (measured) ++failed_due_;  // not the schedule's fault: the connection is gone
          continue;
        }
        if (measured) ++open_.sent;
        c.requests.push_back({d, {}, measured, measured && long_.outstanding});
        ++c.queued;
        c.wake.cancel();
      }
    }
  }

  void note_lag(std::chrono::nanoseconds lag) {
    open_.send_lag.record(lag);
    open_.max_send_lag = std::max(open_.max_send_lag, lag);
    if (lag > late_send) ++open_.late_sends;
  }

  net::awaitable<void> write(connection& c) {
    while (!stopping_ && !c.failed) {
      if (c.queued == 0) {
        c.wake.expires_at(clock::time_point::max());
        co_await c.wake.async_wait(use_tuple);
        continue;
      }
      const auto now = clock::now();
      const std::size_t k = std::min(c.queued, max_batch);
      const std::size_t first = c.requests.size() - c.queued;
      for (std::size_t i = first; i < first + k; ++i) c.requests[i].sent = now;
      c.queued -= k;
      auto [ec, n] = co_await net::async_write(
          c.socket, net::buffer(requests_.data(), request_len_ * k), use_tuple);
      if (ec) {
        if (!stopping_) fail(c, fmt::format("cannot send: {}", ec.message()));
        co_return;
      }
    }
  }

  net::awaitable<void> read(connection& c) {
    for (;;) {
      auto [ec, got] = co_await c.socket.async_read_some(c.replies.free_space(), use_tuple);
      if (ec) {
        if (!stopping_ && !c.failed) fail(c, reply_lines::read_failure(ec));
        co_return;
      }
      const auto now = clock::now();
      if (!c.replies.split(
              got, [&](std::string_view line) { return on_reply(c, line, now); },
              [&](std::string what) { fail(c, std::move(what)); })) {
        co_return;
      }
    }
  }

  bool on_reply(connection& c, std::string_view line, clock::time_point now) {
    if (c.requests.size() == c.queued) {
      fail(c, fmt::format("the server sent a reply nobody asked for: '{}'", line));
      return false;
    }
    const request r = c.requests.front();
    c.requests.pop_front();
    c.answered = true;
    count_connection_answered(c.answered_in);
    const auto head_since = std::max(r.sent, c.last_answer);
    c.last_answer = now;
    if (!measuring_ || !r.measured || stopping_) return true;
    if (count_error_reply(line)) return true;
    ++completed_;
    const auto corrected = now - r.due;
    result_.histograms[slot_].record(corrected);
    open_.uncorrected.record(now - head_since);
    if (r.during_long) {
      open_.during_long.record(corrected);
      if (corrected > config_.slo) ++open_.during_long_over_slo;
    }
    return true;
  }

  void take_sample(unsigned s) override {
    waiting_.clear();
    const auto now = clock::now();
    for (const auto& c : connections_) {
      if (c.failed) continue;
      for (const auto& r : c.requests) {
        if (r.measured) waiting_.push_back(now - r.due);
      }
    }
    record_second(s, waiting_);
  }

  /// Ends the run at now: requests due but unanswered count as lower bounds (now - due in the
  /// corrected figures, now - sent in the uncorrected ones), then every socket closes.
  void stop() {
    stopping_ = true;
    measuring_ = false;
    pace_.cancel();
    const auto now = std::min(clock::now(), end_);
    std::vector<std::chrono::nanoseconds> corrected, uncorrected, during;
    for (auto& c : connections_) {
      if (!c.failed) {
        bool head = true;  // only the oldest request of a connection has an uncorrected wait
        for (const auto& r : c.requests) {
          const bool was_head = std::exchange(head, false);
          if (!r.measured || r.due > now) continue;
          const std::chrono::nanoseconds age = now - r.due;
          corrected.push_back(age);
          if (was_head && r.sent != clock::time_point{}) {
            uncorrected.push_back(now - std::max(r.sent, c.last_answer));
          }
          if (r.during_long) {
            during.push_back(age);
            if (age > config_.slo) ++open_.during_long_over_slo;
          }
          result_.oldest_unfinished = std::max(result_.oldest_unfinished, age);
          ++result_.unfinished;
        }
      }
      if (c.answered) ++result_.connections_answered;
      std::error_code ignored;
      c.socket.close(ignored);
      c.wake.cancel();
    }
    // Requests due by now that the pacer never handed over: the client fell behind.
    if (schedule_) {  // none when the run ended before it started (a connect failed)
      if (next_ < schedule_->due_by(now)) note_lag(now - schedule_->due(next_));
      const auto due_now = schedule_->due_by(std::min(now, end_ - std::chrono::nanoseconds{1}));
      const auto due_warm = schedule_->due_by(measure_start_ - std::chrono::nanoseconds{1});
      open_.due = std::max(open_.due, due_now - std::min(due_now, due_warm));
      open_.schedule_kept = open_.sent + failed_due_ >= open_.due &&
                            open_.send_lag.percentile(0.99) <= schedule_tolerance;
    }
    open_.answered = completed_;
    open_.errors = errors_;
    result_.unfinished_ages = corrected;
    finish_totals();
    open_.latency_uncorrected = figures_with_waiting(open_.uncorrected, uncorrected);
    open_.during_long_latency = figures_with_waiting(open_.during_long, during);
  }

  void fail(connection& c, std::string what) {
    c.failed = true;
    note_failure(std::move(what));
    std::error_code ignored;
    c.socket.close(ignored);
    c.wake.cancel();
  }

  std::string requests_;  // max_batch copies of "n\n": any prefix of k requests is one write
  std::size_t request_len_ = 0;
  std::deque<connection> connections_;  // a deque: coroutines hold references to its elements
  std::optional<send_schedule> schedule_;
  clock::time_point measure_start_, end_;
  std::uint64_t next_ = 0;                         // the next request the pacer hands over
  std::uint64_t failed_due_ = 0;                   // due on a failed connection, so never sent
  std::vector<std::chrono::nanoseconds> waiting_;  // scratch for take_sample
  net::steady_timer pace_;
  open_loop_result open_;
};

}  // namespace

asio::awaitable<load_result> run_open_loop(load_config config, second_callback on_second,
                                           asio::cancellation_slot stop) {
  open_loop_run run(co_await net::this_coro::executor, std::move(config), std::move(on_second),
                    stop);
  co_return co_await run.run();
}

}  // namespace primeloop::clients
