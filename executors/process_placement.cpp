#include "executors/process_placement.hpp"

namespace primeloop::executors {

bool may_take(const worker_load& w, request_cost r) noexcept {
  if (!w.usable) return false;
  if (!r.cheap) return w.in_flight == 0;
  // A costly request only ever goes to an idle worker, so one can only be the one computing.
  return w.in_flight < max_cheap_in_worker && !w.computing_costly;
}

std::optional<std::size_t> place(std::span<const worker_load> workers, request_cost r) noexcept {
  std::optional<std::size_t> least;
  std::optional<std::size_t> running;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const worker_load& w = workers[i];
    if (!may_take(w, r)) continue;
    if (r.cheap && w.unsent && w.in_flight < cheap_batch) return i;
    if (r.cheap && !running && w.in_flight > 0 && w.queued_cost + r.cost <= pack_cost) running = i;
    if (!least || w.in_flight < workers[*least].in_flight) least = i;
  }
  return running ? running : least;
}

}  // namespace primeloop::executors
