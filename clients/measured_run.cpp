#include "clients/measured_run.hpp"

#include <utility>

namespace primeloop::clients {

measured_run::measured_run(asio::any_io_executor ex, load_config config, second_callback on_second,
                           asio::cancellation_slot stop)
    : ex_(std::move(ex)),
      config_(std::move(config)),
      on_second_(std::move(on_second)),
      stop_(stop),
      tasks_(ex_),
      tick_(ex_),
      long_timer_(ex_),
      long_socket_(ex_) {
  result_.config = config_;
  result_.histograms.resize(config_.duration_s);
  result_.seconds.reserve(config_.duration_s);
  if (stop_.is_connected()) {
    // Runs on the loop thread like everything else here; the run sees the flag when the tick
    // (or the warm-up) it waits for ends early.
    stop_.assign([this](asio::cancellation_type) {
      interrupted_ = true;
      tick_.cancel();
    });
  }
}

measured_run::~measured_run() {
  // The handler points at this run: nothing may call it once the run is gone.
  if (stop_.is_connected()) stop_.clear();
}

asio::awaitable<void> measured_run::measure_seconds(clock::time_point start) {
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
    if (s == config_.long_until_s) end_long();
    take_sample(s);
    if (s < config_.duration_s) ++slot_;
  }
  result_.elapsed = clock::now() - start;
  result_.interrupted = interrupted_;
}

void measured_run::end_long() {
  // Closing sends end of stream: the server cancels the computation of a client that left.
  long_.ended = true;
  long_.outstanding = false;
  long_timer_.cancel();
  std::error_code ignored;
  long_socket_.close(ignored);
}

void measured_run::record_second(unsigned s, const std::vector<std::chrono::nanoseconds>& waiting) {
  second_sample sample;
  sample.second = s;
  sample.completed = completed_ - second_start_.completed;
  sample.errors = errors_ - second_start_.errors;
  sample.long_completed = long_.completed - second_start_.long_completed;
  const auto f = figures_with_waiting(result_.histograms[slot_], waiting);
  copy_figures(f, sample);
  sample.stuck = f.waiting;
  sample.long_active = long_.active_in_second;
  sample.connections_answered = std::exchange(connections_answered_, 0);
  long_.active_in_second = long_.outstanding;
  second_start_ = {completed_, errors_, long_.completed};
  result_.seconds.push_back(sample);
  if (on_second_) on_second_(sample);
}

bool measured_run::count_error_reply(std::string_view line) {
  if (!line.starts_with("ERR")) return false;
  if (errors_++ == 0) result_.first_error_reply = std::string(line);
  return true;
}

void measured_run::finish_totals() {
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

void measured_run::note_failure(std::string what) {
  if (result_.connection_failures++ == 0) result_.first_failure = std::move(what);
}

}  // namespace primeloop::clients
