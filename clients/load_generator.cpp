#include "clients/load_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
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

#include "clients/connect.hpp"
#include "clients/long_client.hpp"
#include "clients/task_group.hpp"

namespace primeloop::clients {
namespace {

namespace net = asio;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = net::experimental::as_tuple(net::use_awaitable);

/// One small-request connection: its socket, the send times of its outstanding requests (a ring
/// of depth entries) and its read buffer. Sized once; nothing is allocated per request.
struct connection {
  connection(const net::any_io_executor& ex, unsigned depth) : socket(ex), sent_at(depth) {}
  tcp::socket socket;
  std::vector<clock::time_point> sent_at;
  std::size_t head = 0;
  std::size_t outstanding = 0;
  std::array<char, 4096> buf{};
  std::size_t have = 0;
  bool failed = false;
  bool answered = false;  ///< got at least one reply

  void push(clock::time_point t) {
    sent_at[(head + outstanding) % sent_at.size()] = t;
    ++outstanding;
  }
  clock::time_point pop() {
    const auto t = sent_at[head];
    head = (head + 1) % sent_at.size();
    --outstanding;
    return t;
  }
};

/// The state of one run. Lives in run_load's frame, which outlives every coroutine it spawns.
class load_run {
 public:
  load_run(net::any_io_executor ex, load_config config, second_callback on_second,
           net::cancellation_slot stop)
      : ex_(std::move(ex)),
        config_(std::move(config)),
        on_second_(std::move(on_second)),
        stop_(stop),
        tasks_(ex_),
        tick_(ex_),
        long_timer_(ex_),
        long_socket_(ex_) {
    const std::string one = fmt::format("{}\n", config_.n);
    request_len_ = one.size();
    for (unsigned i = 0; i < config_.depth; ++i) requests_ += one;
    result_.config = config_;
    result_.histograms.resize(config_.duration_s);
    result_.seconds.reserve(config_.duration_s);
    waiting_ages_.reserve(static_cast<std::size_t>(config_.connections) * config_.depth);
    if (stop_.is_connected()) {
      // Runs on the loop thread like everything else here; run() sees the flag when the tick
      // (or the warm-up) it waits for ends early.
      stop_.assign([this](net::cancellation_type) {
        interrupted_ = true;
        tick_.cancel();
      });
    }
  }
  ~load_run() {
    // The handler points at this run: nothing may call it once the run is gone.
    if (stop_.is_connected()) stop_.clear();
  }
  load_run(const load_run&) = delete;
  load_run& operator=(const load_run&) = delete;

  net::awaitable<load_result> run() {
    // However the measurement ends, every coroutine spawned here has returned before the run
    // (which they point at) goes out of scope with run_load's frame.
    co_await tasks_.run_then_join(measure(), [this] { stop(); });
    co_return std::move(result_);
  }

 private:
  /// Connects, spawns the drivers and takes one sample a second until the duration is over or
  /// the run is interrupted.
  net::awaitable<void> measure() {
    if (config_.connections == 0 && !config_.long_n) {
      throw std::invalid_argument("the load needs at least one connection");
    }
    if (config_.depth == 0) throw std::invalid_argument("the pipelining depth must be at least 1");
    if (config_.duration_s == 0) throw std::invalid_argument("the duration must be at least 1 s");
    for (unsigned i = 0; i < config_.connections; ++i) {
      auto& c = connections_.emplace_back(ex_, config_.depth);
      co_await connect_to(c.socket, config_.host, config_.port);
    }
    for (auto& c : connections_) spawn(drive(c));

    if (config_.warmup.count() > 0 && !interrupted_) {
      tick_.expires_after(config_.warmup);
      co_await tick_.async_wait(use_tuple);
    }
    const auto start = clock::now();
    second_start_ = {completed_, errors_, long_.completed};
    measuring_ = true;
    if (config_.long_n && !interrupted_) {
      spawn(run_long_client(
          long_socket_, long_timer_,
          {config_.host, config_.port, *config_.long_n, start + config_.long_after, &stopping_,
           &measuring_, [this](std::string what) { note_failure(std::move(what)); }},
          long_));
    }

    for (unsigned s = 1; s <= config_.duration_s && !interrupted_; ++s) {
      tick_.expires_at(start + std::chrono::seconds{s});
      co_await tick_.async_wait(use_tuple);
      // Interrupted: the part of this second counts in the totals, but it is no second.
      if (interrupted_) break;
      take_sample(s);
      if (s < config_.duration_s) ++slot_;
    }
    result_.elapsed = clock::now() - start;
    result_.interrupted = interrupted_;
  }

  struct counts {
    std::uint64_t completed = 0, errors = 0, long_completed = 0;
  };

  /// Starts a coroutine run() joins. They report I/O problems in the result; anything thrown
  /// is a bug and is rethrown by run().
  void spawn(net::awaitable<void> a) { tasks_.spawn(std::move(a)); }

  void take_sample(unsigned s) {
    auto& h = result_.histograms[slot_];
    second_sample sample;
    sample.second = s;
    sample.completed = completed_ - second_start_.completed;
    sample.errors = errors_ - second_start_.errors;
    sample.long_completed = long_.completed - second_start_.long_completed;
    waiting_ages_.clear();
    const auto now = clock::now();
    for (const auto& c : connections_) {
      if (c.failed) continue;
      for (std::size_t i = 0; i < c.outstanding; ++i) {
        waiting_ages_.push_back(now - c.sent_at[(c.head + i) % c.sent_at.size()]);
      }
    }
    const auto f = figures_with_waiting(h, waiting_ages_);
    copy_figures(f, sample);
    sample.stuck = f.waiting;
    sample.long_active = long_.active_in_second;
    long_.active_in_second = long_.outstanding;
    second_start_ = {completed_, errors_, long_.completed};
    result_.seconds.push_back(sample);
    if (on_second_) on_second_(sample);
  }

  void stop() {
    stopping_ = true;
    measuring_ = false;
    const auto now = clock::now();
    for (auto& c : connections_) {
      if (!c.failed) {
        for (std::size_t i = 0; i < c.outstanding; ++i) {
          const std::chrono::nanoseconds age = now - c.sent_at[(c.head + i) % c.sent_at.size()];
          result_.unfinished_ages.push_back(age);
          result_.oldest_unfinished = std::max(result_.oldest_unfinished, age);
        }
        result_.unfinished += c.outstanding;
      }
      if (c.answered) ++result_.connections_answered;
      std::error_code ignored;
      c.socket.close(ignored);
    }
    long_timer_.cancel();
    std::error_code ignored;
    long_socket_.close(ignored);
    result_.completed = completed_;
    result_.errors = errors_;
    result_.long_completed = long_.completed;
    result_.long_latencies = long_.latencies;
    for (const auto& h : result_.histograms) result_.total.merge(h);
    result_.latency = figures_with_waiting(result_.total, result_.unfinished_ages);
  }

  void fail(connection& c, std::string what) {
    c.failed = true;
    note_failure(std::move(what));
    std::error_code ignored;
    c.socket.close(ignored);
  }

  void note_failure(std::string what) {
    if (result_.connection_failures++ == 0) result_.first_failure = std::move(what);
  }

  /// One reply line on c, read at now. False when the reply makes no sense (c is then failed).
  bool on_reply(connection& c, std::string_view line, clock::time_point now) {
    if (c.outstanding == 0) {
      fail(c, fmt::format("the server sent a reply nobody asked for: '{}'", line));
      return false;
    }
    const auto latency = now - c.pop();
    c.answered = true;
    if (!measuring_) return true;
    if (line.starts_with("ERR")) {
      if (errors_++ == 0) result_.first_error_reply = std::string(line);
    } else {
      ++completed_;
      result_.histograms[slot_].record(latency);
    }
    return true;
  }

  net::awaitable<void> drive(connection& c) {
    auto now = clock::now();
    for (unsigned i = 0; i < config_.depth; ++i) c.push(now);
    if (auto [ec, n] = co_await net::async_write(
            c.socket, net::buffer(requests_.data(), request_len_ * config_.depth), use_tuple);
        ec) {
      if (!stopping_) fail(c, fmt::format("cannot send: {}", ec.message()));
      co_return;
    }
    for (;;) {
      auto [ec, got] = co_await c.socket.async_read_some(
          net::buffer(c.buf.data() + c.have, c.buf.size() - c.have), use_tuple);
      if (ec) {
        if (!stopping_) {
          fail(c, ec == net::error::eof ? std::string("the server closed the connection")
                                        : fmt::format("cannot read: {}", ec.message()));
        }
        co_return;
      }
      now = clock::now();
      c.have += got;
      std::size_t begin = 0;
      std::size_t answered = 0;
      while (const void* nl = std::memchr(c.buf.data() + begin, '\n', c.have - begin)) {
        const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - c.buf.data());
        std::string_view line(c.buf.data() + begin, end - begin);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (!on_reply(c, line, now)) co_return;
        ++answered;
        begin = end + 1;
      }
      if (begin == 0 && c.have == c.buf.size()) {
        fail(c, fmt::format("a reply longer than {} bytes", c.buf.size()));
        co_return;
      }
      std::memmove(c.buf.data(), c.buf.data() + begin, c.have - begin);
      c.have -= begin;
      if (stopping_ || answered == 0) continue;
      // Refill the pipeline with as many requests as were answered, in one write.
      for (std::size_t i = 0; i < answered; ++i) c.push(now);
      if (auto [wec, n] = co_await net::async_write(
              c.socket, net::buffer(requests_.data(), request_len_ * answered), use_tuple);
          wec) {
        if (!stopping_) fail(c, fmt::format("cannot send: {}", wec.message()));
        co_return;
      }
    }
  }

  net::any_io_executor ex_;
  load_config config_;
  second_callback on_second_;
  net::cancellation_slot stop_;
  bool interrupted_ = false;
  std::vector<std::chrono::nanoseconds> waiting_ages_;  // scratch for take_sample, sized once
  std::string requests_;  // depth copies of "n\n": any prefix of k requests is one write
  std::size_t request_len_ = 0;
  std::deque<connection> connections_;  // a deque: coroutines hold references to its elements
  task_group tasks_;
  net::steady_timer tick_;
  net::steady_timer long_timer_;
  tcp::socket long_socket_;
  bool measuring_ = false;
  bool stopping_ = false;
  std::size_t slot_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t errors_ = 0;
  long_client_state long_;
  counts second_start_;
  load_result result_;
};

}  // namespace

double load_result::mean_rps() const noexcept {
  const double s = std::chrono::duration<double>(elapsed).count();
  return s > 0 ? static_cast<double>(completed) / s : 0.0;
}

asio::awaitable<load_result> run_load(load_config config, second_callback on_second,
                                      asio::cancellation_slot stop) {
  if (config.rate > 0) {
    co_return co_await run_open_loop(std::move(config), std::move(on_second), stop);
  }
  load_run run(co_await net::this_coro::executor, std::move(config), std::move(on_second), stop);
  co_return co_await run.run();
}

}  // namespace primeloop::clients
