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

#include "clients/measured_run.hpp"
#include "clients/reply_lines.hpp"

namespace primeloop::clients {
namespace {

namespace net = asio;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;

/// One small-request connection: its socket, the send times of its outstanding requests (a ring
/// of depth entries) and its read buffer. Sized once; nothing is allocated per request.
struct connection {
  connection(const net::any_io_executor& ex, unsigned depth) : socket(ex), sent_at(depth) {}
  tcp::socket socket;
  std::vector<clock::time_point> sent_at;
  std::size_t head = 0;
  std::size_t outstanding = 0;
  reply_lines replies;
  bool failed = false;
  bool answered = false;     ///< got at least one reply
  unsigned answered_in = 0;  ///< the last measured second (1-based) it got a reply in

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

/// The state of one closed-loop run: each connection sends as its answers come back.
class load_run final : public measured_run {
 public:
  load_run(net::any_io_executor ex, load_config config, second_callback on_second,
           net::cancellation_slot stop)
      : measured_run(std::move(ex), std::move(config), std::move(on_second), stop) {
    const std::string one = fmt::format("{}\n", config_.n);
    request_len_ = one.size();
    for (unsigned i = 0; i < config_.depth; ++i) requests_ += one;
    waiting_ages_.reserve(static_cast<std::size_t>(config_.connections) * config_.depth);
  }

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
    co_await connect_all(connections_, config_.depth);
    for (auto& c : connections_) spawn(drive(c));

    if (config_.warmup.count() > 0 && !interrupted_) {
      tick_.expires_after(config_.warmup);
      co_await tick_.async_wait(use_tuple);
    }
    co_await measure_seconds(clock::now());
  }

  void take_sample(unsigned s) override {
    waiting_ages_.clear();
    const auto now = clock::now();
    for (const auto& c : connections_) {
      if (c.failed) continue;
      for (std::size_t i = 0; i < c.outstanding; ++i) {
        waiting_ages_.push_back(now - c.sent_at[(c.head + i) % c.sent_at.size()]);
      }
    }
    record_second(s, waiting_ages_);
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
    finish_totals();
  }

  void fail(connection& c, std::string what) {
    c.failed = true;
    note_failure(std::move(what));
    std::error_code ignored;
    c.socket.close(ignored);
  }

  /// One reply line on c, read at now. False when the reply makes no sense (c is then failed).
  bool on_reply(connection& c, std::string_view line, clock::time_point now) {
    if (c.outstanding == 0) {
      fail(c, fmt::format("the server sent a reply nobody asked for: '{}'", line));
      return false;
    }
    const auto latency = now - c.pop();
    c.answered = true;
    count_connection_answered(c.answered_in);
    if (!measuring_) return true;
    if (!count_error_reply(line)) {
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
      auto [ec, got] = co_await c.socket.async_read_some(c.replies.free_space(), use_tuple);
      if (ec) {
        if (!stopping_) fail(c, reply_lines::read_failure(ec));
        co_return;
      }
      now = clock::now();
      const auto answered = c.replies.split(
          got, [&](std::string_view line) { return on_reply(c, line, now); },
          [&](std::string what) { fail(c, std::move(what)); });
      if (!answered) co_return;
      if (stopping_ || *answered == 0) continue;
      // Refill the pipeline with as many requests as were answered, in one write.
      for (std::size_t i = 0; i < *answered; ++i) c.push(now);
      if (auto [wec, n] = co_await net::async_write(
              c.socket, net::buffer(requests_.data(), request_len_ * *answered), use_tuple);
          wec) {
        if (!stopping_) fail(c, fmt::format("cannot send: {}", wec.message()));
        co_return;
      }
    }
  }

  std::vector<std::chrono::nanoseconds> waiting_ages_;  // scratch for take_sample, sized once
  std::string requests_;  // depth copies of "n\n": any prefix of k requests is one write
  std::size_t request_len_ = 0;
  std::deque<connection> connections_;  // a deque: coroutines hold references to its elements
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
