#include "server/long_requests.hpp"

#include <algorithm>

#include "core/offload.hpp"

namespace primeloop {

long_requests::long_requests(dispatcher& policy, workload work, double offload_above)
    : policy_(policy),
      first_long_n_(
          first_costly_n(work, offload_above > 0 ? offload_above : default_offload_above)) {}

bool long_requests::submit(std::uint64_t n, executors::result_sink& sink, std::uint64_t tag) {
  const bool is_long = n >= first_long_n_;
  auto it = relays_.find(&sink);
  if (it == relays_.end()) {
    if (!is_long) return policy_.submit(n, sink, tag);
    it = relays_.emplace(&sink, std::make_unique<relay>(*this, sink)).first;
  }
  relay& r = *it->second;
  // Counted before the policy sees it: the answer may come inside submit() and end the relay,
  // so r is not touched once submit() says yes.
  ++r.in_flight;
  if (is_long) r.long_ones.push_back({tag, n, clock::now()});
  if (policy_.submit(n, r, tag)) return true;
  // Refused: nothing of this request was called, and r still counts it, so r is alive.
  --r.in_flight;
  if (is_long) r.long_ones.pop_back();
  if (r.in_flight == 0) relays_.erase(&sink);
  return false;
}

void long_requests::cancel_all(executors::result_sink& sink) {
  policy_.cancel_all(sink);
  if (const auto it = relays_.find(&sink); it != relays_.end()) {
    policy_.cancel_all(*it->second);  // it hears nothing more, and neither does the connection
    relays_.erase(it);
  }
}

live_long_request long_requests::oldest(clock::time_point now) const {
  const long_one* first = nullptr;
  for (const auto& [sink, r] : relays_) {
    if (!r->long_ones.empty() && (!first || r->long_ones.front().since < first->since)) {
      first = &r->long_ones.front();
    }
  }
  if (!first) return {};
  return {true, first->n, std::chrono::duration<double>(now - first->since).count()};
}

void long_requests::relay::on_result(std::uint64_t tag, executors::outcome result) {
  auto& to = sink;
  --in_flight;
  const auto done = std::find_if(long_ones.begin(), long_ones.end(),
                                 [&](const long_one& l) { return l.tag == tag; });
  if (done != long_ones.end()) long_ones.erase(done);
  // The last answer ends the relay (this object) before the connection hears it: the
  // connection may close or submit again from on_result, and then finds no relay of its own.
  if (in_flight == 0) owner.relays_.erase(&to);
  to.on_result(tag, result);
}

}  // namespace primeloop
