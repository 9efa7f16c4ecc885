// server/long_requests alone, over a fake policy: which sink the policy sees for each request,
// what /live.json's long_request says, and that answers and cancellations reach the connection.
#include <cstdint>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "server/long_requests.hpp"

namespace ex = primeloop::executors;
using primeloop::long_requests;

namespace {

/// Keeps what it is given; answers only when the test says so.
struct fake_policy final : primeloop::dispatcher {
  struct job {
    std::uint64_t n;
    ex::result_sink* sink;
    std::uint64_t tag;
  };
  std::vector<job> jobs;
  std::vector<ex::result_sink*> cancelled;
  bool refuse = false;
  bool submit(std::uint64_t n, ex::result_sink& sink, std::uint64_t tag) override {
    if (refuse) return false;
    jobs.push_back({n, &sink, tag});
    return true;
  }
  void cancel_all(ex::result_sink& sink) override { cancelled.push_back(&sink); }
  void answer(std::size_t i) {
    const auto j = jobs[i];
    jobs.erase(jobs.begin() + static_cast<std::ptrdiff_t>(i));
    j.sink->on_result(j.tag, {j.n + 1, {}});
  }
};

struct fake_connection final : ex::result_sink {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> results;  // tag, value
  void on_result(std::uint64_t tag, ex::outcome r) override { results.emplace_back(tag, r.value); }
};

}  // namespace

TEST_CASE("Long requests are noted and a connection keeps one sink at the policy",
          "[long_requests]") {
  fake_policy policy;
  // Trial division: n = 1 is small, n = 100000 far above 20000 steps.
  long_requests lr(policy, primeloop::workload::trial, 20000);
  fake_connection a, b;
  const auto now = long_requests::clock::now();
  CHECK_FALSE(lr.oldest(now).running);

  REQUIRE(lr.submit(1, a, 1));
  CHECK(policy.jobs.back().sink == &a);  // nothing long in flight: straight through
  REQUIRE(lr.submit(100000, a, 2));
  REQUIRE(lr.submit(1, a, 3));
  REQUIRE(lr.submit(1, b, 1));
  // a's long request and the small one after it go through one relay; b is untouched.
  ex::result_sink* relay = policy.jobs[1].sink;
  CHECK(relay != &a);
  CHECK(policy.jobs[2].sink == relay);
  CHECK(policy.jobs[3].sink == &b);
  const auto oldest = lr.oldest(long_requests::clock::now());
  CHECK(oldest.running);
  CHECK(oldest.n == 100000);
  CHECK(oldest.elapsed >= 0);

  policy.answer(1);  // the long one: answered to a under its own tag
  CHECK(a.results == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{2, 100001}});
  CHECK_FALSE(lr.oldest(long_requests::clock::now()).running);
  // The relay lasts while a's requests through it are out: the next one goes through it too.
  REQUIRE(lr.submit(1, a, 4));
  CHECK(policy.jobs.back().sink == relay);

  SECTION("its last answer ends the relay: a small request goes straight through again") {
    policy.answer(1);  // a's tag 3
    policy.answer(2);  // a's tag 4
    CHECK(a.results.size() == 3);
    REQUIRE(lr.submit(1, a, 5));
    CHECK(policy.jobs.back().sink == &a);
  }
  SECTION("cancel_all cancels the connection's requests, through the relay too") {
    lr.cancel_all(a);
    CHECK(policy.cancelled == std::vector<ex::result_sink*>{&a, relay});
    CHECK_FALSE(lr.oldest(long_requests::clock::now()).running);
  }
  SECTION("a refused long request is not noted") {
    policy.refuse = true;
    CHECK_FALSE(lr.submit(100000, b, 2));
    CHECK_FALSE(lr.oldest(long_requests::clock::now()).running);
  }
}
