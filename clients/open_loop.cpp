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

#include "clients/connect.hpp"
#include "clients/load_generator.hpp"
#include "clients/long_client.hpp"
#include "clients/send_schedule.hpp"
#include "clients/task_group.hpp"

namespace primeloop::clients {
namespace {

namespace net = asio;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = net::experimental::as_tuple(net::use_awaitable);
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
  std::array<char, 4096> buf{};
  std::size_t have = 0;
  bool failed = false;
  bool answered = false;
  clock::time_point last_answer{};  // when the latest answer on it came
};

class open_loop_run {
 public:
  open_loop_run(net::any_io_executor ex, load_config config, second_callback on_second,
                net::cancellation_slot stop)
      : ex_(std::move(ex)),
        config_(std::move(config)),
        on_second_(std::move(on_second)),
        stop_(stop),
        tasks_(ex_),
        tick_(ex_),
        pace_(ex_),
        long_timer_(ex_),
        long_socket_(ex_) {
    const std::string one = fmt::format("{}\n", config_.n);
    request_len_ = one.size();
    for (std::size_t i = 0; i < max_batch; ++i) requests_ += one;
    result_.config = config_;
    result_.histograms.resize(config_.duration_s);
    result_.seconds.reserve(config_.duration_s);
    open_.rate = config_.rate;
    if (stop_.is_connected()) {
      stop_.assign([this](net::cancellation_type) {
        interrupted_ = true;
        tick_.cancel();
      });
    }
  }
  ~open_loop_run() {
    if (stop_.is_connected()) stop_.clear();
  }
  open_loop_run(const open_loop_run&) = delete;
  open_loop_run& operator=(const open_loop_run&) = delete;

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
    for (unsigned i = 0; i < config_.connections; ++i) {
      auto& c = connections_.emplace_back(ex_);
      co_await connect_to(c.socket, config_.host, config_.port);
    }
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
    measuring_ = true;
    second_start_ = {completed_, errors_, long_.completed};
    if (config_.long_n && !interrupted_) {
      spawn(run_long_client(
          long_socket_, long_timer_,
          {config_.host, config_.port, *config_.long_n, measure_start_ + config_.long_after,
           &stopping_, &measuring_, [this](std::string what) { note_failure(std::move(what)); }},
          long_));
    }
    for (unsigned s = 1; s <= config_.duration_s && !interrupted_; ++s) {
      tick_.expires_at(measure_start_ + std::chrono::seconds{s});
      co_await tick_.async_wait(use_tuple);
      if (interrupted_) break;
      take_sample(s);
      if (s < config_.duration_s) ++slot_;
    }
    result_.elapsed = clock::now() - measure_start_;
    result_.interrupted = interrupted_;
  }

  struct counts {
    std::uint64_t completed = 0, errors = 0, long_completed = 0;
  };

  void spawn(net::awaitable<void> a) { tasks_.spawn(std::move(a)); }

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
      auto [ec, got] = co_await c.socket.async_read_some(
          net::buffer(c.buf.data() + c.have, c.buf.size() - c.have), use_tuple);
      if (ec) {
        if (!stopping_ && !c.failed) {
          fail(c, ec == net::error::eof ? std::string("the server closed the connection")
                                        : fmt::format("cannot read: {}", ec.message()));
        }
        co_return;
      }
      const auto now = clock::now();
      c.have += got;
      std::size_t begin = 0;
      while (const void* nl = std::memchr(c.buf.data() + begin, '\n', c.have - begin)) {
        const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - c.buf.data());
        std::string_view line(c.buf.data() + begin, end - begin);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (!on_reply(c, line, now)) co_return;
        begin = end + 1;
      }
      if (begin == 0 && c.have == c.buf.size()) {
        fail(c, fmt::format("a reply longer than {} bytes", c.buf.size()));
        co_return;
      }
      std::memmove(c.buf.data(), c.buf.data() + begin, c.have - begin);
      c.have -= begin;
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
    const auto head_since = std::max(r.sent, c.last_answer);
    c.last_answer = now;
    if (!measuring_ || !r.measured || stopping_) return true;
    if (line.starts_with("ERR")) {
      if (errors_++ == 0) result_.first_error_reply = std::string(line);
      return true;
    }
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

  void take_sample(unsigned s) {
    second_sample sample;
    sample.second = s;
    sample.completed = completed_ - second_start_.completed;
    sample.errors = errors_ - second_start_.errors;
    sample.long_completed = long_.completed - second_start_.long_completed;
    waiting_.clear();
    const auto now = clock::now();
    for (const auto& c : connections_) {
      if (c.failed) continue;
      for (const auto& r : c.requests) {
        if (r.measured) waiting_.push_back(now - r.due);
      }
    }
    const auto f = figures_with_waiting(result_.histograms[slot_], waiting_);
    copy_figures(f, sample);
    sample.stuck = f.waiting;
    sample.long_active = long_.active_in_second;
    long_.active_in_second = long_.outstanding;
    second_start_ = {completed_, errors_, long_.completed};
    result_.seconds.push_back(sample);
    if (on_second_) on_second_(sample);
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
    long_timer_.cancel();
    std::error_code ignored;
    long_socket_.close(ignored);
    result_.completed = completed_;
    result_.errors = errors_;
    result_.long_completed = long_.completed;
    result_.long_latencies = long_.latencies;
    open_.answered = completed_;
    open_.errors = errors_;
    for (const auto& h : result_.histograms) result_.total.merge(h);
    result_.unfinished_ages = corrected;
    result_.latency = figures_with_waiting(result_.total, corrected);
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

  void note_failure(std::string what) {
    if (result_.connection_failures++ == 0) result_.first_failure = std::move(what);
  }

  net::any_io_executor ex_;
  load_config config_;
  second_callback on_second_;
  net::cancellation_slot stop_;
  bool interrupted_ = false;
  std::string requests_;  // max_batch copies of "n\n": any prefix of k requests is one write
  std::size_t request_len_ = 0;
  std::deque<connection> connections_;  // a deque: coroutines hold references to its elements
  std::optional<send_schedule> schedule_;
  clock::time_point measure_start_, end_;
  std::uint64_t next_ = 0;        // the next request the pacer hands over
  std::uint64_t failed_due_ = 0;  // due on a failed connection, so never sent
  std::vector<std::chrono::nanoseconds> waiting_;
  task_group tasks_;
  net::steady_timer tick_, pace_, long_timer_;
  tcp::socket long_socket_;
  bool measuring_ = false, stopping_ = false;
  std::size_t slot_ = 0;
  std::uint64_t completed_ = 0, errors_ = 0;
  long_client_state long_;
  counts second_start_;
  open_loop_result open_;
  load_result result_;
};

}  // namespace

asio::awaitable<load_result> run_open_loop(load_config config, second_callback on_second,
                                           asio::cancellation_slot stop) {
  open_loop_run run(co_await net::this_coro::executor, std::move(config), std::move(on_second),
                    stop);
  co_return co_await run.run();
}

}  // namespace primeloop::clients
