#pragma once
/// The long requests in flight, for /live.json's long_request: a dispatcher in front of the
/// policy that notes each request above the offload threshold as it goes out and when its answer
/// comes back. Small requests of a connection with no long request in flight pass straight
/// through, with nothing noted.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/live_json.hpp"
#include "core/workloads.hpp"
#include "executors/executor_policy.hpp"
#include "server/dispatcher.hpp"

namespace primeloop {

/// Between the connections and the policy; lives on the loop thread like both of them.
class long_requests final : public dispatcher {
 public:
  using clock = std::chrono::steady_clock;

  /// A request is long when its estimated cost reaches offload_above steps (the server's
  /// --offload-above; 0, the lab's plain pools: default_offload_above).
  long_requests(dispatcher& policy, workload work, double offload_above);
  long_requests(const long_requests&) = delete;
  long_requests& operator=(const long_requests&) = delete;

  bool submit(std::uint64_t n, executors::result_sink& sink, std::uint64_t tag) override;
  void cancel_all(executors::result_sink& sink) override;

  /// The oldest long request in flight at now (running false when there is none).
  [[nodiscard]] live_long_request oldest(clock::time_point now) const;

 private:
  struct long_one {
    std::uint64_t tag;
    std::uint64_t n;
    clock::time_point since;
  };
  /// Stands in for a connection while it has a long request in flight: every request of that
  /// connection goes to the policy through it, so the policy still sees one connection (one
  /// fair-queue lane, one share of the queue), and it hands each answer on. It ends with the
  /// last of them.
  struct relay final : executors::result_sink {
    relay(long_requests& o, executors::result_sink& s) : owner(o), sink(s) {}
    void on_result(std::uint64_t tag, executors::outcome result) override;

    long_requests& owner;
    executors::result_sink& sink;
    std::size_t in_flight = 0;        // requests of the connection in the policy through it
    std::vector<long_one> long_ones;  // the long ones among them, oldest first
  };

  dispatcher& policy_;
  std::uint64_t first_long_n_;
  std::unordered_map<const executors::result_sink*, std::unique_ptr<relay>> relays_;
};

}  // namespace primeloop
