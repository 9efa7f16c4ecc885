#pragma once
/// Adaptive offload: a decorator over the threads or processes policy that computes cheap
/// requests on the loop, as inline does, and hands the rest to the pool. A request worth a few
/// microseconds costs more to hand to another thread or process and back than to compute;
/// real event-loop servers keep such work on the loop. --offload-above sets the line in the
/// workloads' own cost unit (estimated_cost); 0 sends every request to the pool, the lesson as
/// told.
#include <algorithm>
#include <array>

#include "core/offload.hpp"
#include "executors/executor_policy.hpp"
#include "executors/inline_executor.hpp"

namespace primeloop::executors {

using ::primeloop::default_offload_above;  ///< core/offload.hpp

/// Pool, except that a request with estimated_cost(work, n) < config.offload_above runs on the
/// loop thread, in its connection's turn (inline_executor). With --gil the loop already holds the
/// lock while it handles the read that submits (server/connection.cpp), so a computation on the
/// loop runs under it and hands it over at its check points, like a pool thread.
template <executor_policy Pool>
class adaptive_executor {
  static constexpr std::string_view suffix_ = "+adaptive";
  static constexpr auto name_chars_ = [] {
    std::array<char, Pool::name.size() + suffix_.size()> chars{};
    auto end = std::copy(Pool::name.begin(), Pool::name.end(), chars.begin());
    std::copy(suffix_.begin(), suffix_.end(), end);
    return chars;
  }();

 public:
  /// "threads+adaptive" or "processes+adaptive".
  static constexpr std::string_view name{name_chars_.data(), name_chars_.size()};

  /// Builds the pool (for processes: forks, so call before any other thread starts).
  adaptive_executor(asio::any_io_executor loop, const executor_config& config)
      : local_below_n_(config.offload_above > 0 ? first_costly_n(config.work, config.offload_above)
                                                : 1),
        local_(loop, config),
        pool_(loop, config) {}

  /// Cheap n: queued for its connection's turn on the loop, answered from a later loop event
  /// (inline_executor); else the pool's submit.
  bool submit(std::uint64_t n, result_sink& sink, std::uint64_t tag) {
    if (n < local_below_n_) return local_.submit(n, sink, tag);
    return pool_.submit(n, sink, tag);
  }
  /// Work of sink may wait for its turn on the loop or be in the pool.
  void cancel_all(result_sink& sink) {
    local_.cancel_all(sink);
    pool_.cancel_all(sink);
  }
  void abort_all(errc e) {
    local_.abort_all(e);
    pool_.abort_all(e);
  }
  void stop() {
    local_.stop();
    pool_.stop();
  }
  [[nodiscard]] pool_stats stats() const { return pool_.stats(); }

  /// The smallest n that goes to the pool (1: every request does).
  [[nodiscard]] std::uint64_t offload_from_n() const noexcept { return local_below_n_; }
  /// The decorated pool (tests and diagnostics, e.g. the process pool's worker_pids()).
  [[nodiscard]] Pool& pool() noexcept { return pool_; }

 private:
  std::uint64_t local_below_n_;
  inline_executor local_;
  Pool pool_;
};

}  // namespace primeloop::executors
